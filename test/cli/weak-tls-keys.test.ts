/** Attack: RSA keys under 2048 bits given for TLS (serving keys, the webhook CA key) are refused, as signing keys are. */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import forge from 'node-forge';
import { irsa, oneLine } from './irsa-process.js';
import { loadCertificatePair } from '../../src/webhook/tls.js';
import { createWebhookCertificates } from '../../src/webhook/certs.js';
import { createIssuerServer, createIssuerSite } from '../../src/oidc/index.js';
import { OidcError } from '../../src/oidc/errors.js';
import { TlsConfigError } from '../../src/webhook/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'irsa-weak-tls-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A self-signed CA certificate and its key (PKCS#1 PEM), valid now: usable as a serving pair or as a CA. */
function selfSigned(bits: number, name: string): { cert: string; key: string; certFile: string; keyFile: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  const key = privateKey.export({ type: 'pkcs1', format: 'pem' }) as string;
  const fkey = forge.pki.privateKeyFromPem(key) as forge.pki.rsa.PrivateKey;
  const c = forge.pki.createCertificate();
  c.publicKey = forge.pki.setRsaPublicKey(fkey.n, fkey.e);
  c.serialNumber = '01';
  c.validity.notBefore = new Date(Date.now() - 60_000);
  c.validity.notAfter = new Date(Date.now() + 86_400_000);
  const subject = [{ name: 'commonName', value: 'localhost' }];
  c.setSubject(subject);
  c.setIssuer(subject);
  c.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }] },
  ]);
  c.sign(fkey, forge.md.sha256.create());
  const cert = forge.pki.certificateToPem(c);
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  writeFileSync(certFile, cert);
  writeFileSync(keyFile, key, { mode: 0o600 });
  return { cert, key, certFile, keyFile };
}

const weak = selfSigned(1024, 'weak1024');
const strong = selfSigned(2048, 'strong2048');
const TOO_WEAK = /RSA key of 1024 bits is too weak; use 2048 bits or more/;

test('irsa webhook certs --ca-key with a 1024-bit CA key: exit 2, one line naming the flag, nothing written', () => {
  const out = join(dir, 'certs-weak');
  const run = irsa(['webhook', 'certs', '--out', out, '--ca-cert', weak.certFile, '--ca-key', weak.keyFile]);
  assert.equal(run.code, 2, run.stderr);
  assert.ok(oneLine(run.stderr), run.stderr);
  assert.match(run.stderr, new RegExp(`^irsa: --ca-key ${weak.keyFile}: ${TOO_WEAK.source}`));
  assert.equal(existsSync(join(out, 'tls.crt')), false);
  // the same command with a 2048-bit CA signs (the check is on the bits, not on bringing a CA)
  const ok = irsa(['webhook', 'certs', '--out', join(dir, 'certs-strong'), '--ca-cert', strong.certFile, '--ca-key', strong.keyFile]);
  assert.equal(ok.code, 0, ok.stderr);
});

test('irsa oidc serve --tls-key with a 1024-bit key: exit 2, one line naming the flag, no server', () => {
  const pub = join(dir, 'jwt.pub');
  writeFileSync(pub, generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }));
  const run = irsa(['oidc', 'serve', '--issuer', 'https://localhost', '--public-key', pub, '--port', '0', '--tls-cert', weak.certFile, '--tls-key', weak.keyFile], { timeout: 30_000 });
  assert.equal(run.code, 2, run.stderr);
  assert.ok(oneLine(run.stderr), run.stderr);
  assert.match(run.stderr, new RegExp(`^irsa: --tls-key ${weak.keyFile}: ${TOO_WEAK.source}`));
});

test('irsa webhook --tls-key with a 1024-bit serving key: exit 2, one line naming the file, before serving', () => {
  const sa = join(dir, 'sa.yaml');
  writeFileSync(sa, 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: default\n  namespace: default\n');
  const run = irsa(['webhook', '--in-cluster=false', '--port=0', '--metrics-port=0', '--tls-cert', weak.certFile, '--tls-key', weak.keyFile, '--service-accounts', sa], { timeout: 30_000 });
  assert.equal(run.code, 2, run.stderr);
  assert.ok(oneLine(run.stderr), run.stderr);
  assert.match(run.stderr, new RegExp(`^irsa: ${weak.keyFile}: ${TOO_WEAK.source}`));
});

test('library: the webhook certificate loader, the webhook CA and the issuer server refuse a 1024-bit key', async () => {
  await assert.rejects(loadCertificatePair(weak.certFile, weak.keyFile, {}), (e: unknown) => e instanceof TlsConfigError && e.code === 'ERR_TLS_CERTIFICATE' && TOO_WEAK.test(e.message));
  const pair = await loadCertificatePair(strong.certFile, strong.keyFile, {});
  assert.ok(pair.fingerprint256.length > 0);
  assert.throws(() => createWebhookCertificates({ ca: { cert: weak.cert, key: weak.key } }), (e: unknown) => e instanceof OidcError && e.code === 'ERR_OIDC_WEAK_KEY' && e.exitCode === 2 && /^ca\.key: /.test(e.message));
  assert.throws(() => createWebhookCertificates({ keyBits: 1024 }), /keyBits must be a whole number of at least 2048/);
  const site = createIssuerSite('https://localhost', []);
  await assert.rejects(createIssuerServer({ site, tls: { cert: weak.cert, key: weak.key } }), (e: unknown) => e instanceof OidcError && e.code === 'ERR_OIDC_WEAK_KEY' && /^tls\.key: /.test(e.message));
  const srv = await createIssuerServer({ site, tls: { cert: strong.cert, key: strong.key } });
  await srv.close();
});
