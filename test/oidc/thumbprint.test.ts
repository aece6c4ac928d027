import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createServer, type Server } from 'node:tls';
import { fetchIssuerThumbprint, OidcError, selectThumbprintCertificate, thumbprintFromChain } from '../../src/oidc/index.js';
import { tempDir } from './helpers.js';
import { createTestChain, type TestChain } from './tls-chain.js';

const dir = tempDir();
let chain: TestChain;
const servers: Server[] = [];

async function serve(certs: string[]): Promise<number> {
  const server = createServer({ key: chain.leafKey, cert: certs.join('') }, (socket) => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n'));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** The certificates `openssl s_client -showcerts` prints, in order. */
function sClientChain(port: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-showcerts'], { stdio: ['pipe', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(out.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/g) ?? []));
    child.stdin.end();
  });
}

before(() => {
  chain = createTestChain(dir);
});
after(() => {
  for (const s of servers) s.close();
});

describe('selectThumbprintCertificate', () => {
  test('drops a trailing self-signed root only when something precedes it', () => {
    const leaf = new X509Certificate(chain.leaf);
    const intermediate = new X509Certificate(chain.intermediate);
    const root = new X509Certificate(chain.root);
    assert.equal(selectThumbprintCertificate([leaf, intermediate, root]), intermediate);
    assert.equal(selectThumbprintCertificate([leaf, intermediate]), intermediate);
    assert.equal(selectThumbprintCertificate([leaf]), leaf);
    assert.equal(selectThumbprintCertificate([root]), root);
    assert.equal(thumbprintFromChain([leaf, intermediate, root]), chain.sha1(chain.intermediate));
    assert.match(thumbprintFromChain([leaf]), /^[0-9a-f]{40}$/);
  });
});

describe('fetchIssuerThumbprint over TLS', () => {
  test('an IPv6 literal host (hex digits included) is not sent as SNI server name: no RFC 6066 deprecation warning', async () => {
    const tcp = createTcpServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    const warnings: string[] = [];
    const onWarning = (w: Error & { code?: string }): void => {
      warnings.push(`${w.code ?? ''} ${w.message}`);
    };
    process.on('warning', onWarning);
    try {
      const port = (tcp.address() as AddressInfo).port;
      // ::ffff:7f00:1 is 127.0.0.1; the server hangs up, so the call fails, after the servername was chosen
      await assert.rejects(fetchIssuerThumbprint(`https://[::ffff:7f00:1]:${port}`, { timeoutMs: 2000 }), { code: 'ERR_OIDC_THUMBPRINT' });
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
      tcp.close();
    }
    assert.deepEqual(warnings.filter((w) => w.startsWith('DEP0123')), []);
  });

  test('server sends leaf + intermediate: the intermediate, equal to the last cert of openssl s_client -showcerts', async () => {
    const port = await serve([chain.leaf, chain.intermediate]);
    const result = await fetchIssuerThumbprint(`https://127.0.0.1:${port}/cluster-1`, { ca: chain.root });
    const expected = chain.sha1(chain.intermediate);
    assert.equal(result.thumbprint, expected);
    const shown = await sClientChain(port);
    assert.equal(shown.length, 2);
    assert.equal(chain.sha1(shown[shown.length - 1]!), expected);
    assert.match(result.subject, /irsa test intermediate/);
  });

  test('server sends leaf + intermediate + root: the root is dropped', async () => {
    const port = await serve([chain.leaf, chain.intermediate, chain.root]);
    const result = await fetchIssuerThumbprint(`https://127.0.0.1:${port}`, { ca: chain.root });
    assert.equal(result.thumbprint, chain.sha1(chain.intermediate));
    assert.equal(result.chain.length, 3);
  });

  test('an untrusted chain is an error that points at the ca option (exit 1)', async () => {
    const port = await serve([chain.leaf, chain.intermediate]);
    await assert.rejects(fetchIssuerThumbprint(`https://127.0.0.1:${port}`), (err: unknown) => {
      assert.ok(err instanceof OidcError);
      assert.equal(err.code, 'ERR_OIDC_THUMBPRINT');
      assert.equal(err.exitCode, 1);
      assert.equal(err.field, 'ca');
      assert.match(err.message, /not trusted; pass ca with the issuing CA/);
      assert.doesNotMatch(err.message, /--/);
      return true;
    });
    await assert.rejects(fetchIssuerThumbprint('http://127.0.0.1'), { code: 'ERR_OIDC_INVALID_ISSUER' });
  });
});
