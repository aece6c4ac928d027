/**
 * The memo of verified token signatures: it skips only the signature computation, for the exact bytes and the very
 * key object that verified them; the clock, the issuer, the audience, the kid lookup (rotation) and a re-fetched or
 * replaced key still decide on every call.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JwksCache, type IdpFetchResult } from '../../../src/aws/sts/jwks-cache.js';
import { verifyWebIdentityToken, VerifiedTokens, type VerifyWebIdentityTokenOptions, type WebIdentityTokenResult } from '../../../src/aws/sts/web-identity-token.js';
import { ACCOUNT, claims, FakeIssuer, mintToken, newSigningKey, NOW, provider, providerLookup, signToken, tamper } from './helpers.js';

const key = newSigningKey('rsa');

/** An issuer that can publish a key under another key's kid. */
class RenamingIssuer extends FakeIssuer {
  renameKid: [string, string] | undefined;

  override async get(url: string): Promise<IdpFetchResult> {
    const r = await super.get(url);
    if (this.renameKid === undefined || r.kind !== 'response') return r;
    return { ...r, body: r.body.replaceAll(JSON.stringify(this.renameKid[0]), JSON.stringify(this.renameKid[1])) };
  }
}

function setup(issuer: FakeIssuer = new RenamingIssuer([key]), nowMs = () => NOW * 1000): { issuer: FakeIssuer; cache: JwksCache; memo: VerifiedTokens; options: VerifyWebIdentityTokenOptions } {
  const cache = new JwksCache({ fetcher: issuer, now: nowMs });
  const memo = new VerifiedTokens();
  return { issuer, cache, memo, options: { accountId: ACCOUNT, providers: providerLookup([provider()]), keys: cache, nowSeconds: NOW, verifiedTokens: memo } };
}

function code(r: WebIdentityTokenResult): string {
  assert.equal(r.ok, false, 'expected a rejection');
  return r.ok ? '' : r.failure.error.code;
}

test('the same bytes verified with the same key are not verified again; the answer is the same', async () => {
  const { memo, options } = setup();
  const token = await mintToken(key);
  const first = await verifyWebIdentityToken(token, options);
  assert.equal(memo.get(token), undefined, 'a token verified once is not kept (a stream of new tokens costs the memo nothing)');
  const second = await verifyWebIdentityToken(token, options);
  assert.equal(memo.hits, 0, 'the first repeat is verified, then kept');
  const third = await verifyWebIdentityToken(token, options);
  assert.ok(first.ok && second.ok && third.ok);
  assert.equal(memo.hits, 1);
  assert.deepEqual({ ...third, decoded: undefined }, { ...first, decoded: undefined });
  assert.deepEqual(third.decoded, first.decoded);
});

test('exp, nbf and iat are still checked against the clock on every call', async () => {
  const { memo, options } = setup();
  const token = signToken(key, claims({ iat: NOW, nbf: NOW, exp: NOW + 600 }));
  assert.ok((await verifyWebIdentityToken(token, options)).ok);
  assert.ok((await verifyWebIdentityToken(token, options)).ok);
  assert.equal(code(await verifyWebIdentityToken(token, { ...options, nowSeconds: NOW + 600 + 300 })), 'ExpiredTokenException');
  assert.equal(code(await verifyWebIdentityToken(token, { ...options, nowSeconds: NOW - 301 })), 'InvalidIdentityToken', 'nbf/iat in the future');
  assert.equal(code(await verifyWebIdentityToken(token, { ...options, maxTokenAgeSeconds: 10, nowSeconds: NOW + 11 })), 'ExpiredTokenException');
  assert.equal(code(await verifyWebIdentityToken(token, { ...options, providers: providerLookup([]) })), 'InvalidIdentityToken', 'issuer no longer registered');
  assert.equal(code(await verifyWebIdentityToken(token, { ...options, providers: providerLookup([provider({ clientIds: ['other'] })]) })), 'InvalidIdentityToken', 'audience no longer a client id');
  assert.ok(memo.get(token) !== undefined, 'the refusals above came from the per-call checks, with the signature memoized');
  assert.ok((await verifyWebIdentityToken(token, options)).ok);
  assert.equal(memo.hits, 1);
});

test('other bytes are verified: a tampered payload under a memoized signature fails; failures are not remembered', async () => {
  const { memo, options } = setup();
  const token = await mintToken(key);
  for (const _ of [1, 2]) assert.ok((await verifyWebIdentityToken(token, options)).ok);
  assert.ok(memo.get(token) !== undefined, 'memoized after its first repeat');
  const forged = tamper(token, claims({ sub: 'system:serviceaccount:kube-system:admin' }));
  assert.equal(code(await verifyWebIdentityToken(forged, options)), 'InvalidIdentityToken');
  assert.equal(code(await verifyWebIdentityToken(forged, options)), 'InvalidIdentityToken');
  assert.equal(memo.hits, 0);
});

test('rotation: a key no longer published refuses a memoized token; a re-fetched or replaced key verifies again', async () => {
  let nowMs = NOW * 1000;
  const issuer = new RenamingIssuer([key]);
  const { memo, options } = setup(issuer, () => nowMs);
  const token = await mintToken(key);
  for (const _ of [1, 2]) assert.ok((await verifyWebIdentityToken(token, options)).ok);
  assert.ok(memo.get(token) !== undefined, 'memoized after its first repeat');
  // the issuer drops the key; once the cached JWKS expires the kid is unknown again
  const next = newSigningKey('rsa');
  issuer.keys = [next];
  nowMs += 3600 * 1000 + 1000;
  assert.equal(code(await verifyWebIdentityToken(token, { ...options, nowSeconds: NOW + 60 })), 'InvalidIdentityToken');
  assert.equal(memo.hits, 0);
  // the same key published again: a new key object, so the signature is verified again before it is trusted
  issuer.keys = [key];
  nowMs += 3600 * 1000 + 1000;
  assert.ok((await verifyWebIdentityToken(token, { ...options, nowSeconds: NOW + 60 })).ok);
  assert.equal(memo.hits, 0);
  assert.ok((await verifyWebIdentityToken(token, { ...options, nowSeconds: NOW + 60 })).ok);
  assert.equal(memo.hits, 1);
  // another key published under the same kid: verified against it, and refused
  const impostor = newSigningKey('rsa');
  issuer.keys = [impostor];
  issuer.renameKid = [impostor.kid, key.kid];
  nowMs += 3600 * 1000 + 1000;
  const replaced = await verifyWebIdentityToken(token, { ...options, nowSeconds: NOW + 60 });
  assert.equal(code(replaced), 'InvalidIdentityToken');
  assert.match(replaced.ok ? '' : replaced.failure.detail, /the signature does not verify with key/);
  assert.equal(memo.hits, 1);
});

test('the memo is bounded: the oldest token goes first', async () => {
  const memo = new VerifiedTokens(2);
  const { options } = setup();
  const tokens = [0, 1, 2].map((i) => signToken(key, claims({ jti: `t${i}` })));
  for (const t of tokens) for (const _ of [1, 2]) assert.ok((await verifyWebIdentityToken(t, { ...options, verifiedTokens: memo })).ok);
  assert.equal(memo.get(tokens[0]!), undefined);
  assert.ok(memo.get(tokens[1]!) !== undefined && memo.get(tokens[2]!) !== undefined);
});

test('a token is kept when it comes back within the memo\'s reach, not after more tokens than the memo holds', async () => {
  const memo = new VerifiedTokens(4);
  const { options } = setup();
  const verify = async (t: string) => assert.ok((await verifyWebIdentityToken(t, { ...options, verifiedTokens: memo })).ok);
  const tokens = Array.from({ length: 6 }, (_, i) => signToken(key, claims({ jti: `t${i}` })));
  // a cycle of 6 tokens through a memo of 4 (a benchmark's token pool, or more pods than the memo holds): no token is
  // stored, since each would be evicted before it came back
  for (const _ of [1, 2, 3]) for (const t of tokens) await verify(t);
  for (const t of tokens) assert.equal(memo.get(t), undefined);
  assert.equal(memo.hits, 0);
  // one token repeated after one other: kept at its second verification, a hit at its third
  await verify(tokens[0]!);
  await verify(tokens[1]!);
  await verify(tokens[0]!);
  assert.ok(memo.get(tokens[0]!) !== undefined);
  await verify(tokens[0]!);
  assert.equal(memo.hits, 1);
});
