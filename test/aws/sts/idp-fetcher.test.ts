import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { createIdpFetcher } from '../../../src/aws/sts/index.js';
import { buildIssuerDocuments, certificateThumbprint, createIssuerServer, createIssuerSite } from '../../../src/oidc/index.js';
import { createWebhookCertificates } from '../../../src/webhook/index.js';
import { ISSUER, newSigningKey } from './helpers.js';

async function issuerOn(t: import('node:test').TestContext, dnsNames: string[]) {
  const certs = createWebhookCertificates({ dnsNames, localhost: false, ipAddresses: [] });
  const docs = buildIssuerDocuments({ issuer: ISSUER, publicKeys: [newSigningKey().publicKey] });
  const server = await createIssuerServer({ site: createIssuerSite(docs.issuer, docs.files), port: 0, tls: { cert: certs.cert, key: certs.key } });
  t.after(() => server.close());
  return { certs, server };
}

test('the host map sends the port-less issuer URL to the local server, with the issuer\'s name checked against its certificate', async (t) => {
  const { certs, server } = await issuerOn(t, ['oidc.irsa.local']);
  const fetcher = createIdpFetcher({ ca: [certs.caCert], hostMap: { 'oidc.irsa.local': `127.0.0.1:${server.port}` } });
  const r = await fetcher.get(`${ISSUER}/.well-known/openid-configuration`, { thumbprints: [] });
  assert.equal(r.kind, 'response');
  assert.ok(r.kind === 'response' && r.status === 200 && JSON.parse(r.body).issuer === ISSUER);
  assert.equal(r.kind === 'response' ? r.cacheControl : undefined, 'public, max-age=3600');
  // a certificate for another name is refused, as a relying party would
  const other = await issuerOn(t, ['elsewhere.example.com']);
  const wrongName = await createIdpFetcher({ ca: [other.certs.caCert], hostMap: { 'oidc.irsa.local': `127.0.0.1:${other.server.port}` } }).get(`${ISSUER}/keys.json`, { thumbprints: [] });
  assert.equal(wrongName.kind, 'untrusted');
});

test('an untrusted chain is accepted only when its thumbprint is registered (AWS\'s fallback)', async (t) => {
  const { certs, server } = await issuerOn(t, ['oidc.irsa.local']);
  const hostMap = { 'oidc.irsa.local': `127.0.0.1:${server.port}` };
  const thumb = certificateThumbprint(new X509Certificate(certs.cert));
  const untrusted = await createIdpFetcher({ hostMap }).get(`${ISSUER}/keys.json`, { thumbprints: [] });
  assert.equal(untrusted.kind, 'untrusted');
  const wrong = await createIdpFetcher({ hostMap }).get(`${ISSUER}/keys.json`, { thumbprints: ['0'.repeat(40)] });
  assert.equal(wrong.kind, 'untrusted');
  assert.match(wrong.kind === 'untrusted' ? wrong.detail : '', new RegExp(`thumbprint ${thumb} is not in the provider's ThumbprintList`));
  const pinned = await createIdpFetcher({ hostMap }).get(`${ISSUER}/keys.json`, { thumbprints: [thumb] });
  assert.ok(pinned.kind === 'response' && pinned.status === 200, JSON.stringify(pinned));
});

test('a closed port is unreachable (IDPCommunicationError upstream); http:// is refused', async () => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const down = await createIdpFetcher({ hostMap: { 'oidc.irsa.local': `127.0.0.1:${port}` }, timeoutMs: 2000 }).get(`${ISSUER}/keys.json`, { thumbprints: [] });
  assert.equal(down.kind, 'unreachable');
  assert.match(down.kind === 'unreachable' ? down.detail : '', /ECONNREFUSED/);
  assert.equal((await createIdpFetcher().get('http://127.0.0.1:1/keys.json', { thumbprints: [] })).kind, 'unreachable');
});
