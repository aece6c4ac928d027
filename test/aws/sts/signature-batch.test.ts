/**
 * Signatures verified in batches (one per turn of the event loop, for the CPU's caches): the same answer, token by
 * token, as verifying each at once, whatever else shares its batch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JwksCache } from '../../../src/aws/sts/jwks-cache.js';
import { SignatureBatch, verifyWebIdentityToken, type VerifyWebIdentityTokenOptions, type WebIdentityTokenResult } from '../../../src/aws/sts/web-identity-token.js';
import { ACCOUNT, claims, FakeIssuer, mintToken, newSigningKey, NOW, provider, providerLookup, signToken, tamper } from './helpers.js';

const rsa = newSigningKey('rsa');
const ec = newSigningKey('ec');
const stranger = newSigningKey('rsa');

function options(signatureBatch?: SignatureBatch): VerifyWebIdentityTokenOptions {
  const cache = new JwksCache({ fetcher: new FakeIssuer([rsa, ec]), now: () => NOW * 1000 });
  return { accountId: ACCOUNT, providers: providerLookup([provider()]), keys: cache, nowSeconds: NOW, signatureBatch };
}

/** What a caller sees of a result (the decoded token aside). */
function answer(r: WebIdentityTokenResult): unknown {
  return r.ok ? { ok: true, subject: r.subject, keyId: r.keyId, signature: r.signature } : { ok: false, check: r.failure.check, code: r.failure.error.code, message: r.failure.error.message, detail: r.failure.detail };
}

async function tokens(): Promise<Record<string, string>> {
  const good = await mintToken(rsa);
  return {
    'RS256, valid': good,
    'ES256, valid': signToken(ec, claims()),
    'payload changed after signing': tamper(good, claims({ sub: 'system:serviceaccount:kube-system:admin' })),
    'signed by a key the issuer does not publish, under its kid': signToken({ ...stranger, kid: rsa.kid }, claims()),
    'signature cut short': good.slice(0, -20),
    'another valid RS256 token': await mintToken(rsa, { sa: 'other' }),
  };
}

test('tokens verified in one batch get, each, the answer they get alone', async () => {
  const all = await tokens();
  const alone: Record<string, unknown> = {};
  for (const [name, token] of Object.entries(all)) alone[name] = answer(await verifyWebIdentityToken(token, options()));
  assert.equal((alone['RS256, valid'] as { ok: boolean }).ok, true);
  assert.equal((alone['payload changed after signing'] as { code: string }).code, 'InvalidIdentityToken');
  assert.equal((alone['signed by a key the issuer does not publish, under its kid'] as { code: string }).code, 'InvalidIdentityToken');
  const batch = new SignatureBatch();
  const o = options(batch);
  await verifyWebIdentityToken(all['RS256, valid']!, o); // fetches the JWKS first: the calls below then find the keys at hand
  const names = Object.keys(all);
  const together = await Promise.all(names.map((name) => verifyWebIdentityToken(all[name]!, o)));
  names.forEach((name, i) => assert.deepEqual(answer(together[i]!), alone[name], name));
  assert.equal(batch.batches, 2, 'the concurrent calls shared one batch');
  assert.equal(batch.checked, 1 + names.length);
});

test('a lone call is answered one turn of the event loop later; later calls make new batches', async () => {
  const batch = new SignatureBatch();
  const o = options(batch);
  const token = await mintToken(rsa);
  for (let i = 1; i <= 3; i++) {
    assert.equal((await verifyWebIdentityToken(token, o)).ok, true);
    assert.equal(batch.batches, i);
  }
  assert.equal(batch.checked, 3);
});
