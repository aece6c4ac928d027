/**
 * Webhook certificates: the serving certificate verifies against the CA, names the Service's DNS names, works in a
 * real TLS handshake, and `irsa webhook certs` writes the files and prints the caBundle.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import https from 'node:https';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { Command } from 'commander';
import { createWebhookCertificates, serviceDnsNames, writeWebhookCertificates } from '../../src/webhook/certs.js';
import { registerWebhookCertsCommand } from '../../src/cli/webhook-certs.js';
import type { CliContext } from '../../src/cli/context.js';

const certs = createWebhookCertificates({ serviceName: 'pod-identity-webhook', namespace: 'eks', days: 30, localhost: true });

test('the serving certificate is signed by the CA and names the Service DNS names', () => {
  const ca = new X509Certificate(certs.caCert);
  const leaf = new X509Certificate(certs.cert);
  assert.equal(ca.ca, true);
  assert.equal(leaf.ca, false);
  assert.equal(leaf.verify(ca.publicKey), true);
  assert.equal(leaf.checkIssued(ca), true);
  assert.equal(ca.verify(ca.publicKey), true, 'the CA is self-signed');
  for (const name of ['pod-identity-webhook', 'pod-identity-webhook.eks', 'pod-identity-webhook.eks.svc', 'pod-identity-webhook.eks.svc.cluster.local', 'localhost']) {
    assert.equal(leaf.checkHost(name), name, name);
  }
  assert.equal(leaf.checkHost('other.eks.svc'), undefined);
  assert.equal(leaf.checkIP('127.0.0.1'), '127.0.0.1');
  assert.deepEqual(serviceDnsNames('a', 'b'), ['a', 'a.b', 'a.b.svc', 'a.b.svc.cluster.local']);
  assert.match(leaf.keyUsage?.join(',') ?? '', /1\.3\.6\.1\.5\.5\.7\.3\.1/, 'extKeyUsage serverAuth');
  const days = (Date.parse(leaf.validTo) - Date.now()) / 86_400_000;
  assert.ok(days > 29 && days <= 30.1, `valid for 30 days, got ${days}`);
  assert.equal(Buffer.from(certs.caBundle, 'base64').toString(), certs.caCert);
  assert.equal(createPrivateKey(certs.key).asymmetricKeyType, 'rsa');
  const spki = (k: import('node:crypto').KeyObject): string => k.export({ format: 'pem', type: 'spki' }) as string;
  assert.equal(spki(createPublicKey(createPrivateKey(certs.key))), spki(leaf.publicKey), 'tls.key is the key of tls.crt');
});

test('a TLS client trusting only the CA completes a handshake with the serving pair, by name and by IP', async () => {
  const server = https.createServer({ cert: certs.cert, key: certs.key }, (_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const get = (host: string, servername?: string): Promise<string> =>
    new Promise((resolve, reject) => {
      https
        .get({ host: '127.0.0.1', port, path: '/', ca: certs.caCert, servername: servername ?? host, headers: { host } }, (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve(body));
        })
        .on('error', reject);
    });
  try {
    assert.equal(await get('pod-identity-webhook.eks.svc'), 'ok');
    assert.equal(await get('localhost'), 'ok');
    await assert.rejects(get('evil.example.com'), /altnames|Hostname\/IP does not match/);
  } finally {
    server.close();
  }
});

test('reusing a CA signs a new serving certificate with it', () => {
  const renewed = createWebhookCertificates({ serviceName: 'svc', namespace: 'ns', ca: { cert: certs.caCert, key: certs.caKey } });
  assert.equal(renewed.caCert, certs.caCert);
  assert.equal(new X509Certificate(renewed.cert).verify(new X509Certificate(certs.caCert).publicKey), true);
  assert.equal(new X509Certificate(renewed.cert).checkHost('svc.ns.svc'), 'svc.ns.svc');
});

test('writeWebhookCertificates writes the four PEM files, keys private', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'irsa-certs-'));
  try {
    const paths = await writeWebhookCertificates(join(dir, 'out'), certs);
    assert.equal(await readFile(paths.cert, 'utf8'), certs.cert);
    assert.equal((await stat(paths.key)).mode & 0o777, 0o600);
    assert.equal((await stat(paths.caKey)).mode & 0o777, 0o600);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

function fakeCtx(cwd: string): CliContext & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, stdin: new PassThrough(), env: {}, cwd };
}

test('irsa webhook certs --out DIR writes the files and prints the caBundle; bad input is a usage error', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'irsa-certs-cli-'));
  try {
    const ctx = fakeCtx(dir);
    const program = new Command('irsa').exitOverride();
    registerWebhookCertsCommand(program.command('webhook'), ctx);
    await program.parseAsync(['webhook', 'certs', '--out', 'certs', '--namespace', 'irsa', '--dns-name', 'webhook.example.com', '--ip', '10.0.0.1'], { from: 'user' });
    const bundle = ctx.out.join('').trim();
    const caPem = await readFile(join(dir, 'certs', 'ca.crt'), 'utf8');
    assert.equal(Buffer.from(bundle, 'base64').toString(), caPem);
    const leaf = new X509Certificate(await readFile(join(dir, 'certs', 'tls.crt')));
    assert.equal(leaf.checkHost('pod-identity-webhook.irsa.svc'), 'pod-identity-webhook.irsa.svc');
    assert.equal(leaf.checkHost('webhook.example.com'), 'webhook.example.com');
    assert.equal(leaf.checkIP('10.0.0.1'), '10.0.0.1');

    const bad = new Command('irsa').exitOverride();
    registerWebhookCertsCommand(bad.command('webhook'), fakeCtx(dir));
    await assert.rejects(bad.parseAsync(['webhook', 'certs', '--out', 'x', '--ip', 'not-an-ip'], { from: 'user' }), { code: 'ERR_USAGE', message: /--ip "not-an-ip"/ });
    await assert.rejects(bad.parseAsync(['webhook', 'certs', '--out', 'x', '--days', '0'], { from: 'user' }), { code: 'ERR_USAGE' });
    await assert.rejects(bad.parseAsync(['webhook', 'certs', '--out', 'x', '--ca-cert', 'ca.crt'], { from: 'user' }), { code: 'ERR_USAGE', message: /go together/ });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
