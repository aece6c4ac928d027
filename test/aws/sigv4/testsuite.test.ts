/**
 * AWS's SigV4 test suite (test/fixtures/aws4_testsuite, from botocore): the verifier accepts every signed request
 * with the suite's key, rebuilds the suite's canonical request, and rejects each request after any change to the
 * method, path, query, a signed header, the body or the date.
 */
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildCanonicalRequest,
  canonicalUris,
  findSignature,
  SigningKeyCache,
  verifyRequest,
  type Credential,
  type SignedRequest,
} from '../../../src/aws/index.js';

const SUITE = fileURLToPath(new URL('../../fixtures/aws4_testsuite/', import.meta.url));
const NOW = new Date('2015-08-30T12:36:00Z');
const credential: Credential = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionTokenSha256: null,
  expiration: null,
  active: true,
  principal: { kind: 'user', accountId: '111122223333', arn: 'arn:aws:iam::111122223333:user/example', userId: 'AIDAEXAMPLE', userName: 'example', path: '/' },
};
const credentials = { findCredential: (id: string) => (id === credential.accessKeyId ? credential : undefined) };
const keyCache = new SigningKeyCache();

/** Parses an HTTP request as the suite writes it: request line, headers (with obs-fold continuation lines), body. */
function parseRequest(text: string): SignedRequest {
  const lines = text.split('\n');
  const first = lines[0]!;
  const method = first.slice(0, first.indexOf(' '));
  const target = first.slice(method.length + 1, first.lastIndexOf(' HTTP/'));
  const headers: Array<[string, string]> = [];
  let i = 1;
  for (; i < lines.length && lines[i] !== ''; i++) {
    const line = lines[i]!;
    if (/^\s/.test(line) && headers.length > 0) {
      headers[headers.length - 1]![1] += `\n${line}`;
      continue;
    }
    const colon = line.indexOf(':');
    headers.push([line.slice(0, colon), line.slice(colon + 1).trim()]); // HTTP parsers drop optional white space
  }
  const body = i < lines.length ? lines.slice(i + 1).join('\n') : '';
  const q = target.indexOf('?');
  return {
    method,
    rawPath: q < 0 ? target : target.slice(0, q),
    rawQuery: q < 0 ? '' : target.slice(q + 1),
    headers,
    body: Buffer.from(body, 'utf8'),
  };
}

function cases(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (!statSync(path).isDirectory()) continue;
    if (existsSync(join(path, `${name}.sreq`))) out.push(path);
    cases(path, out);
  }
  return out;
}

function verify(req: SignedRequest) {
  const sig = findSignature(req);
  assert.ok(sig !== null && !('reason' in sig), 'the request carries a readable signature');
  return verifyRequest(req, sig, { now: NOW, credentials, s3: false, service: 'service', keyCache });
}

const all = cases(SUITE);

test('the suite is there (botocore aws4_testsuite)', () => {
  assert.ok(all.length >= 25, `found ${all.length} cases`);
});

for (const dir of all) {
  const name = dir.slice(SUITE.length);
  const base = join(dir, dir.split('/').pop()!);
  test(`aws4_testsuite ${name}: accepted, canonical request as the suite's, every change rejected`, () => {
    // The signed request (.sreq) with the suite's Authorization (.authz): one .sreq carries a stale signature.
    const sreq = parseRequest(readFileSync(`${base}.sreq`, 'utf8'));
    const req: SignedRequest = {
      ...sreq,
      headers: [...sreq.headers.filter(([n]) => n.toLowerCase() !== 'authorization'), ['Authorization', readFileSync(`${base}.authz`, 'utf8').trim()]],
    };
    const result = verify(req);
    assert.equal(result.ok, true, result.ok ? '' : `${result.failure.reason}: ${result.failure.canonicalRequest}`);
    const sig = findSignature(req);
    assert.ok(sig !== null && !('reason' in sig));
    const creq = buildCanonicalRequest({
      method: req.method,
      canonicalUri: canonicalUris(req.rawPath, false)[0]!,
      rawQuery: req.rawQuery,
      headers: req.headers,
      signedHeaders: sig.signedHeaders,
      payloadHash: createHashHex(req.body),
    });
    assert.equal(creq, readFileSync(`${base}.creq`, 'utf8'));

    const signedOther = sig.signedHeaders.find((h) => h !== 'x-amz-date') ?? 'host';
    const mutations: Array<[string, SignedRequest]> = [
      ['method', { ...req, method: req.method === 'GET' ? 'POST' : 'GET' }],
      ['path', { ...req, rawPath: `${req.rawPath === '/' ? '/x' : `${req.rawPath}x`}` }],
      ['query', { ...req, rawQuery: req.rawQuery === '' ? 'extra=1' : `${req.rawQuery}&extra=1` }],
      [`signed header ${signedOther}`, { ...req, headers: req.headers.map(([n, v]) => [n, n.toLowerCase() === signedOther ? `${v}x` : v] as [string, string]) }],
      ['body', { ...req, body: Buffer.concat([req.body, Buffer.from('x')]) }],
      ['date', { ...req, headers: req.headers.map(([n, v]) => [n, n.toLowerCase() === 'x-amz-date' ? '20150830T123601Z' : v] as [string, string]) }],
    ];
    for (const [what, changed] of mutations) {
      const r = verify(changed);
      assert.equal(r.ok, false, `${name}: a changed ${what} must be rejected`);
      assert.equal(r.ok ? '' : r.failure.reason, 'signature', `${name}: ${what}`);
    }
  });
}

function createHashHex(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}
