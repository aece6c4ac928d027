import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { createServer } from 'node:tls';
import { runCli } from '../oidc/cli-helpers.js';
import { openssl, tempDir } from '../oidc/helpers.js';
import { createTestChain } from '../oidc/tls-chain.js';

const dir = tempDir();
const root = join(import.meta.dirname, '..', '..');

async function keys(name: string, type = 'rsa'): Promise<void> {
  const run = await runCli(['keys', 'create', '--out', name, '--type', type], dir);
  assert.equal(run.code, 0, run.stderr);
}

describe('irsa oidc discovery', () => {
  test('S3 layout (default): discovery + keys.json, two keys for rotation, kids match openssl', async () => {
    await keys('a');
    await keys('b', 'ec');
    const run = await runCli(['oidc', 'discovery', '--issuer', 'https://irsa-oidc.s3.us-east-1.amazonaws.com', '--public-key', 'a/sa-signer.pub', '--public-key', 'b/sa-signer.pub', '--out', 'site'], dir);
    assert.equal(run.code, 0, run.stderr);
    const discovery = readFileSync(join(dir, 'site', '.well-known', 'openid-configuration'), 'utf8');
    assert.equal(discovery, '{"issuer":"https://irsa-oidc.s3.us-east-1.amazonaws.com","jwks_uri":"https://irsa-oidc.s3.us-east-1.amazonaws.com/keys.json","response_types_supported":["id_token"],"subject_types_supported":["public"],"id_token_signing_alg_values_supported":["ES256","RS256"]}');
    const jwks = JSON.parse(readFileSync(join(dir, 'site', 'keys.json'), 'utf8')) as { keys: Array<{ kid: string; kty: string }> };
    assert.deepEqual(jwks.keys.map((k) => k.kty), ['RSA', 'EC']);
    for (const [i, name] of ['a', 'b'].entries()) {
      const der = openssl(['pkey', '-pubin', '-in', join(dir, name, 'sa-signer.pub'), '-outform', 'DER']);
      const kid = openssl(['dgst', '-sha256', '-binary'], der).toString('base64url');
      assert.equal(jwks.keys[i]!.kid, kid);
      assert.match(run.stdout, new RegExp(`kid ${kid}`));
    }
  });

  test('kubernetes layout writes openid/v1/jwks and points jwks_uri at it', async () => {
    await keys('c');
    const run = await runCli(['oidc', 'discovery', '--issuer', 'https://oidc.example.com/c1', '--public-key', 'c/sa-signer.pub', '--out', 'site-k8s', '--layout', 'kubernetes'], dir);
    assert.equal(run.code, 0, run.stderr);
    const discovery = JSON.parse(readFileSync(join(dir, 'site-k8s', '.well-known', 'openid-configuration'), 'utf8')) as { jwks_uri: string };
    assert.equal(discovery.jwks_uri, 'https://oidc.example.com/c1/openid/v1/jwks');
    assert.match(readFileSync(join(dir, 'site-k8s', 'openid', 'v1', 'jwks'), 'utf8'), /^\{"keys":\[\{"use":"sig","kty":"RSA","kid":"/);
  });

  test('bad input: one line, exit 2, nothing written', async () => {
    await keys('d');
    writeFileSync(join(dir, 'not-a-key.pem'), 'hello\n');
    const cases: Array<[string[], RegExp]> = [
      [['--issuer', 'https://oidc.example.com:8443', '--public-key', 'd/sa-signer.pub'], /--issuer "https:\/\/oidc\.example\.com:8443": must not contain a port/],
      [['--issuer', 'http://oidc.example.com', '--public-key', 'd/sa-signer.pub'], /must start with https:\/\//],
      [['--issuer', 'https://oidc.example.com', '--public-key', 'd/sa-signer.key'], /sa-signer\.key: holds a private key; pass the public key instead/],
      [['--issuer', 'https://oidc.example.com', '--public-key', 'missing.pub'], /missing\.pub: public key file does not exist/],
      [['--issuer', 'https://oidc.example.com', '--public-key', 'not-a-key.pem'], /not-a-key\.pem: no PEM public key found/],
      [['--issuer', 'https://oidc.example.com', '--public-key', 'd/sa-signer.pub', '--layout', 'gcs'], /--layout "gcs"/],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(['oidc', 'discovery', ...args, '--out', 'never'], dir);
      assert.equal(run.code, 2, args.join(' '));
      assert.match(run.stderr, message);
      assert.equal(run.stderr.trim().split('\n').length, 1);
      assert.ok(!run.stderr.includes('PRIVATE KEY'));
    }
  });
});

describe('key rotation with irsa oidc discovery', () => {
  test('merge the published keys.json with a new key, then remove the old kid', async () => {
    await keys('old');
    await keys('new', 'ec');
    const step = async (out: string, args: string[]): Promise<Array<{ kid: string }>> => {
      const run = await runCli(['oidc', 'discovery', '--issuer', 'https://oidc.example.com', ...args, '--out', out], dir);
      assert.equal(run.code, 0, run.stderr);
      return (JSON.parse(readFileSync(join(dir, out, 'keys.json'), 'utf8')) as { keys: Array<{ kid: string }> }).keys;
    };
    const [oldKey] = await step('rot1', ['--public-key', 'old/sa-signer.pub']);
    const both = await step('rot2', ['--public-key', 'rot1/keys.json', '--public-key', 'new/sa-signer.pub']);
    assert.equal(both.length, 2);
    assert.equal(both[0]!.kid, oldKey!.kid);
    assert.equal(readFileSync(join(dir, 'rot2', 'keys.json'), 'utf8').slice(0, 60), readFileSync(join(dir, 'rot1', 'keys.json'), 'utf8').slice(0, 60));
    const after = await step('rot3', ['--public-key', 'rot2/keys.json', '--remove-kid', oldKey!.kid]);
    assert.deepEqual(after.map((k) => k.kid), [both[1]!.kid]);
    const unknown = await runCli(['oidc', 'discovery', '--issuer', 'https://oidc.example.com', '--public-key', 'rot3/keys.json', '--remove-kid', 'nope', '--out', 'x'], dir);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /--remove-kid nope: no such key/);
    writeFileSync(join(dir, 'private.jwks'), JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b', d: 'c' }] }));
    const priv = await runCli(['oidc', 'discovery', '--issuer', 'https://oidc.example.com', '--public-key', 'private.jwks', '--out', 'x'], dir);
    assert.equal(priv.code, 2);
    assert.match(priv.stderr, /private\.jwks: keys\[0\] is not a public JWK/);
  });
});

describe('irsa oidc serve', () => {
  test('serves a discovery directory until SIGTERM (spawned ./bin/irsa)', async () => {
    await keys('e');
    assert.equal((await runCli(['oidc', 'discovery', '--issuer', 'https://oidc.example.com/c2', '--public-key', 'e/sa-signer.pub', '--out', 'site-e'], dir)).code, 0);
    const child = spawn(process.execPath, [join(root, 'bin', 'irsa'), 'oidc', 'serve', '--dir', join(dir, 'site-e'), '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, IRSA_FROM_SOURCE: '1' } });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`exited ${code}`)));
      });
      const url = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(line)![1]!;
      const res = await fetch(`${url}/c2/keys.json`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('cache-control'), 'public, max-age=3600');
      assert.equal(await res.text(), readFileSync(join(dir, 'site-e', 'keys.json'), 'utf8'));
      const cached = await fetch(`${url}/c2/keys.json`, { headers: { 'if-none-match': res.headers.get('etag')! } });
      assert.equal(cached.status, 304);
      assert.equal((await fetch(`${url}/c2/.well-known/openid-configuration`)).status, 200);
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 0);
  });

  test('bad serve flags', async () => {
    const cases: Array<[string[], RegExp]> = [
      [[], /pass --dir DIR, or --issuer URL with at least one --public-key FILE/],
      [['--dir', 'nowhere'], /openid-configuration: cannot be read/],
      [['--dir', 'site-e', '--tls-cert', 'x.pem'], /--tls-cert and --tls-key go together/],
      [['--dir', 'site-e', '--port', 'http'], /--port "http"/],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(['oidc', 'serve', ...args], dir);
      assert.equal(run.code, 2, args.join(' '));
      assert.match(run.stderr, message);
    }
  });
});

describe('irsa oidc thumbprint', () => {
  test('prints the lowercase hex thumbprint of the top intermediate; unreadable --ca-file exits 2', async () => {
    const chain = createTestChain(tempDir());
    const server = createServer({ key: chain.leafKey, cert: chain.leaf + chain.intermediate }, (socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const run = await runCli(['oidc', 'thumbprint', `https://127.0.0.1:${port}`, '--ca-file', chain.rootPath], dir);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, `${chain.sha1(chain.intermediate)}\n`);
      assert.match(run.stderr, /irsa test intermediate/);
      const missing = await runCli(['oidc', 'thumbprint', `https://127.0.0.1:${port}`, '--ca-file', 'nope.pem'], dir);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /--ca-file nope\.pem: cannot be read/);
      const untrusted = await runCli(['oidc', 'thumbprint', `https://127.0.0.1:${port}`], dir);
      assert.equal(untrusted.code, 1);
      assert.match(untrusted.stderr, /not trusted; pass --ca-file/);
    } finally {
      server.close();
    }
  });
});
