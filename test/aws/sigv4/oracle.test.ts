/**
 * The verifier against the SDK's own signer (@smithy/signature-v4) for what the aws4 suite does not cover: S3's
 * path rule (the path as encoded, no normalization), `x-amz-content-sha256` (required, and checked when it is a
 * digest), presigned S3 URLs (UNSIGNED-PAYLOAD), odd keys, and the chunk-signing material S3 needs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { findSignature, SigningKeyCache, verifyRequest, type Credential, type SignedRequest } from '../../../src/aws/index.js';
import { Sha256 } from '../sign.js';

const NOW = new Date('2026-01-02T03:04:05Z');
const credential: Credential = {
  accessKeyId: 'AKIAORACLEORACLE0000',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionTokenSha256: null,
  expiration: null,
  active: true,
  principal: { kind: 'user', accountId: '111122223333', arn: 'arn:aws:iam::111122223333:user/o', userId: 'AIDAO', userName: 'o', path: '/' },
};
const credentials = { findCredential: (id: string) => (id === credential.accessKeyId ? credential : undefined) };
const keyCache = new SigningKeyCache();

/** The path as a client puts it on the wire: each segment percent-encoded once (RFC 3986, as the SDKs do for S3). */
function wirePath(key: string): string {
  return '/bucket/' + key.split('/').map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)).join('/');
}

async function s3Request(key: string, body: string, options: { presign?: boolean; contentSha?: string } = {}): Promise<SignedRequest> {
  const signer = new SignatureV4({ credentials: { accessKeyId: credential.accessKeyId, secretAccessKey: credential.secretAccessKey }, region: 'eu-west-1', service: 's3', sha256: Sha256 as never, uriEscapePath: false, applyChecksum: !options.presign });
  const path = wirePath(key);
  const headers: Record<string, string> = { host: 'localhost:4566', 'content-type': 'text/plain' };
  // The S3 presigner sends UNSIGNED-PAYLOAD as the payload hash and does not sign that header.
  headers['x-amz-content-sha256'] = options.presign ? 'UNSIGNED-PAYLOAD' : (options.contentSha ?? createHash('sha256').update(body).digest('hex'));
  const req = { method: 'PUT', protocol: 'http:', hostname: 'localhost', port: 4566, path, query: {} as Record<string, string>, headers, body };
  const signed = (options.presign ? await signer.presign(req as never, { signingDate: NOW, expiresIn: 300, unsignableHeaders: new Set(['x-amz-content-sha256']) }) : await signer.sign(req as never, { signingDate: NOW })) as unknown as typeof req;
  const rawQuery = Object.entries(signed.query).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
  return { method: 'PUT', rawPath: signed.path, rawQuery, headers: Object.entries(signed.headers), body: Buffer.from(body) };
}

function verify(req: SignedRequest, s3 = true) {
  const sig = findSignature(req);
  assert.ok(sig !== null && !('reason' in sig));
  return verifyRequest(req, sig, { now: NOW, credentials, s3, service: 's3', keyCache });
}

const KEYS = ['plain.txt', 'a b/c+d.txt', 'dir//double/./dot/../x', 'ünïcödé/ключ', "it's (1)*!.txt", '~tilde-_.'];

for (const key of KEYS) {
  test(`S3 object key ${JSON.stringify(key)}: header auth and presigned URL verify; a changed key does not`, async () => {
    const req = await s3Request(key, 'hello');
    const ok = verify(req);
    assert.equal(ok.ok, true, ok.ok ? '' : `${ok.failure.reason}\n${ok.failure.canonicalRequest}`);
    if (ok.ok) {
      assert.equal(ok.auth.seedSignature, ok.auth.input.signature);
      assert.equal(ok.auth.input.scope, '20260102/eu-west-1/s3/aws4_request');
      assert.equal(ok.auth.signingKey.length, 32);
    }
    const presigned = await s3Request(key, 'hello', { presign: true });
    const p = verify(presigned);
    assert.equal(p.ok, true, p.ok ? '' : `${p.failure.reason}\n${p.failure.canonicalRequest}`);
    assert.equal(p.ok && p.auth.payloadHash, 'UNSIGNED-PAYLOAD');
    assert.equal(verify({ ...req, rawPath: `${req.rawPath}x` }).ok, false);
  });
}

test('S3: x-amz-content-sha256 must match the body when it is a digest; streaming values are taken as declared', async () => {
  const req = await s3Request('k', 'hello');
  const changed = verify({ ...req, body: Buffer.from('HELLO') });
  assert.equal(changed.ok ? '' : changed.failure.reason, 'content-sha256-mismatch');
  const streaming = await s3Request('k', 'ignored', { contentSha: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER' });
  const r = verify(streaming);
  assert.equal(r.ok && r.auth.payloadHash, 'STREAMING-UNSIGNED-PAYLOAD-TRAILER');
  const noHeader = { ...req, headers: req.headers.filter(([n]) => n !== 'x-amz-content-sha256') };
  assert.equal((verify(noHeader) as { failure: { reason: string } }).failure.reason, 'missing-content-sha256');
});
