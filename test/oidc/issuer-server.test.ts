import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { get } from 'node:https';
import { after, before, describe, test } from 'node:test';
import {
  buildIssuerDocuments,
  createIssuerServer,
  createIssuerSite,
  handleIssuerRequest,
  type IssuerServer,
  type IssuerSite,
} from '../../src/oidc/index.js';
import { tempDir } from './helpers.js';
import { createTestChain } from './tls-chain.js';

const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
const docs = buildIssuerDocuments({ issuer: 'https://oidc.example.com/cluster-1', publicKeys: [key], layout: 'kubernetes' });
const site: IssuerSite = createIssuerSite(docs.issuer, docs.files);

describe('handleIssuerRequest', () => {
  test('serves both documents under the issuer path and at the root, with the API server cache policy', () => {
    for (const path of ['/cluster-1/.well-known/openid-configuration', '/.well-known/openid-configuration']) {
      const res = handleIssuerRequest(site, { method: 'GET', url: `${path}?x=1` });
      assert.equal(res.status, 200);
      assert.equal(res.headers['cache-control'], 'public, max-age=3600');
      assert.equal(res.headers['content-type'], 'application/json');
      assert.match(res.headers.etag!, /^"[A-Za-z0-9_-]+"$/);
      assert.equal(res.body.toString(), docs.files[0]!.body);
    }
    const jwks = handleIssuerRequest(site, { method: 'GET', url: '/cluster-1/openid/v1/jwks' });
    assert.equal(jwks.headers['content-type'], 'application/jwk-set+json');
    assert.equal(jwks.body.toString(), docs.files[1]!.body);
    assert.equal(jwks.headers['content-length'], String(jwks.body.length));
  });

  test('conditional GET: matching If-None-Match → 304 without body; other tags → 200', () => {
    const first = handleIssuerRequest(site, { method: 'GET', url: '/cluster-1/openid/v1/jwks' });
    const etag = first.headers.etag!;
    for (const inm of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const res = handleIssuerRequest(site, { method: 'GET', url: '/cluster-1/openid/v1/jwks', ifNoneMatch: inm });
      assert.equal(res.status, 304, inm);
      assert.equal(res.body.length, 0);
      assert.equal(res.headers.etag, etag);
      assert.equal(res.headers['cache-control'], 'public, max-age=3600');
    }
    assert.equal(handleIssuerRequest(site, { method: 'GET', url: '/cluster-1/openid/v1/jwks', ifNoneMatch: '"nope"' }).status, 200);
    // different documents have different tags
    assert.notEqual(handleIssuerRequest(site, { method: 'GET', url: '/.well-known/openid-configuration' }).headers.etag, etag);
  });

  test('404 for anything else, 405 for writes, HEAD without body', () => {
    assert.equal(handleIssuerRequest(site, { method: 'GET', url: '/keys.json' }).status, 404);
    assert.equal(handleIssuerRequest(site, { method: 'GET', url: '/' }).status, 404);
    const post = handleIssuerRequest(site, { method: 'POST', url: '/openid/v1/jwks' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
    const head = handleIssuerRequest(site, { method: 'HEAD', url: '/openid/v1/jwks' });
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    assert.equal(head.headers['content-length'], String(Buffer.byteLength(docs.files[1]!.body)));
  });
});

describe('createIssuerServer', () => {
  let http: IssuerServer;
  before(async () => {
    http = await createIssuerServer({ site, port: 0 });
  });
  after(async () => {
    await http.close();
  });

  test('over HTTP on 127.0.0.1: documents, ETag round trip, update after rotation', async () => {
    assert.match(http.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${http.url}/cluster-1/.well-known/openid-configuration`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'public, max-age=3600');
    const body = await res.json() as { jwks_uri: string };
    assert.equal(body.jwks_uri, 'https://oidc.example.com/cluster-1/openid/v1/jwks');
    const etag = res.headers.get('etag')!;
    const again = await fetch(`${http.url}/cluster-1/.well-known/openid-configuration`, { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
    assert.equal((await fetch(`${http.url}/missing`)).status, 404);

    const second = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    const rotated = buildIssuerDocuments({ issuer: docs.issuer, publicKeys: [key, second], layout: 'kubernetes' });
    http.update(createIssuerSite(rotated.issuer, rotated.files));
    const after = await fetch(`${http.url}/cluster-1/openid/v1/jwks`, { headers: { 'if-none-match': etag } });
    assert.equal(after.status, 200);
    assert.equal(((await after.json()) as { keys: unknown[] }).keys.length, 2);
  });

  test('over HTTPS with --tls-cert/--tls-key', async () => {
    const chain = createTestChain(tempDir());
    const https = await createIssuerServer({ site, port: 0, tls: { cert: chain.leaf + chain.intermediate, key: chain.leafKey } });
    try {
      assert.match(https.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        get(`${https.url}/openid/v1/jwks`, { ca: chain.root }, (res) => {
          let data = '';
          res.on('data', (d: Buffer) => (data += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
        }).on('error', reject);
      });
      assert.equal(status, 200);
      assert.equal(body, docs.files[1]!.body);
    } finally {
      await https.close();
    }
  });
});
