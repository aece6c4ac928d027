import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JwksCache, staticKeySource, maxAgeSeconds } from '../../../src/aws/sts/jwks-cache.js';
import { verifyWebIdentityToken, type VerifyWebIdentityTokenOptions, type WebIdentityTokenResult } from '../../../src/aws/sts/web-identity-token.js';
import { generateKeyPairSync } from 'node:crypto';
import { buildJwks, createSigningKey } from '../../../src/oidc/index.js';
import {
  ACCOUNT,
  claims,
  FakeIssuer,
  hs256WithPublicKey,
  ISSUER,
  mintToken,
  newSigningKey,
  NOW,
  provider,
  providerLookup,
  signToken,
  tamper,
  unsignedToken,
} from './helpers.js';

const key = newSigningKey('rsa');

function setup(issuer = new FakeIssuer([key]), nowMs = () => NOW * 1000): { issuer: FakeIssuer; cache: JwksCache; options: VerifyWebIdentityTokenOptions } {
  const cache = new JwksCache({ fetcher: issuer, now: nowMs });
  return { issuer, cache, options: { accountId: ACCOUNT, providers: providerLookup([provider()]), keys: cache, nowSeconds: NOW } };
}

function rejection(r: WebIdentityTokenResult): { check: string; code: string; status: number; message: string } {
  assert.equal(r.ok, false, 'expected a rejection');
  if (r.ok) throw new Error('unreachable');
  return { check: r.failure.check, code: r.failure.error.code, status: r.failure.error.httpStatus, message: r.failure.error.message };
}

test('a token minted as kube-apiserver mints it verifies: audience, subject, provider and key', async () => {
  const { options } = setup();
  const r = await verifyWebIdentityToken(await mintToken(key), options);
  assert.ok(r.ok, r.ok ? '' : r.failure.detail);
  assert.equal(r.audience, 'sts.amazonaws.com');
  assert.equal(r.subject, 'system:serviceaccount:default:app');
  assert.equal(r.provider.arn, `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.irsa.local`);
  assert.equal(r.signature, 'verified');
  assert.equal(r.keyId, key.kid);
});

test('ES256, ES384 and ES512 keys verify; the EC curve must fit the algorithm', async () => {
  const curves = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' } as const;
  for (const [alg, namedCurve] of Object.entries(curves)) {
    const ec = createSigningKey(generateKeyPairSync('ec', { namedCurve }).privateKey);
    assert.equal(ec.alg, alg);
    const { options } = setup(new FakeIssuer([ec]));
    const r = await verifyWebIdentityToken(signToken(ec, claims()), options);
    assert.ok(r.ok, `${alg}: ${r.ok ? '' : r.failure.detail}`);
    const otherAlg = alg === 'ES256' ? 'ES384' : 'ES256';
    const wrong = await verifyWebIdentityToken(signToken(ec, claims(), { alg: otherAlg }), options);
    assert.deepEqual(rejection(wrong), { check: 'signature', code: 'InvalidIdentityToken', status: 400, message: 'Signature could not be verified.' });
  }
  // an RSA-signed token naming an EC key's kid
  const ec = newSigningKey('ec');
  const { options } = setup(new FakeIssuer([ec]));
  assert.equal(rejection(await verifyWebIdentityToken(signToken(key, claims(), { kid: ec.kid }), options)).message, 'Signature could not be verified.');
});

test('every rejection of spec 2.9 with its exact code, status and message', async () => {
  const other = newSigningKey('rsa');
  const cases: Array<{ name: string; token: () => Promise<string> | string; want: { check: string; code: string; status: number; message: string } }> = [
    {
      name: 'alg none',
      token: () => unsignedToken(claims(), key.kid),
      want: { check: 'algorithm', code: 'InvalidIdentityToken', status: 400, message: 'Signature could not be verified.' },
    },
    {
      name: 'HS256 signed with the public key (key confusion)',
      token: () => hs256WithPublicKey(key.publicKey, claims(), key.kid),
      want: { check: 'algorithm', code: 'InvalidIdentityToken', status: 400, message: 'Signature could not be verified.' },
    },
    {
      name: 'PS256 (RSA, but not on STS\'s list)',
      token: () => signToken(key, claims(), { alg: 'PS256' }).replace(/\.[^.]*$/, '.AAAA'),
      want: { check: 'algorithm', code: 'InvalidIdentityToken', status: 400, message: 'Signature could not be verified.' },
    },
    {
      name: 'unknown kid (signed by a key the issuer does not publish)',
      token: () => signToken(other, claims()),
      want: {
        check: 'signature',
        code: 'InvalidIdentityToken',
        status: 400,
        message: "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements",
      },
    },
    {
      name: 'a published kid over a signature by another key',
      token: () => signToken(other, claims(), { kid: key.kid }),
      want: { check: 'signature', code: 'InvalidIdentityToken', status: 400, message: 'Signature could not be verified.' },
    },
    {
      name: 'tampered payload (sub changed after signing)',
      token: async () => tamper(await mintToken(key), claims({ sub: 'system:serviceaccount:kube-system:admin' })),
      want: { check: 'signature', code: 'InvalidIdentityToken', status: 400, message: 'Signature could not be verified.' },
    },
    {
      name: 'expired (beyond the 5-minute tolerance)',
      token: () => mintToken(key, { now: NOW - 3600 - 301, expirationSeconds: 3600 }),
      want: { check: 'time', code: 'ExpiredTokenException', status: 400, message: `Token expired: current date/time ${NOW} must be before the expiration date/time${NOW - 301}` },
    },
    {
      name: 'nbf in the future',
      token: () => signToken(key, claims({ nbf: NOW + 600 })),
      want: { check: 'time', code: 'InvalidIdentityToken', status: 400, message: `Token not yet valid: current date/time ${NOW} must be after the not-before date/time ${NOW + 600}` },
    },
    {
      name: 'iat in the future',
      token: () => signToken(key, claims({ iat: NOW + 900, nbf: undefined })),
      want: { check: 'time', code: 'InvalidIdentityToken', status: 400, message: `Token issued in the future: current date/time ${NOW} must be after the issued-at date/time ${NOW + 900}` },
    },
    {
      name: 'wrong aud',
      token: () => mintToken(key, { audiences: ['sts.amazon.com'] }),
      want: { check: 'audience', code: 'InvalidIdentityToken', status: 400, message: 'Incorrect token audience' },
    },
    {
      name: 'several aud and no azp',
      token: () => mintToken(key, { audiences: ['sts.amazonaws.com', 'openshift'] }),
      want: { check: 'audience', code: 'InvalidIdentityToken', status: 400, message: 'Incorrect token audience' },
    },
    {
      name: 'unregistered iss',
      token: () => mintToken(key, { issuer: 'https://elsewhere.example.com' }),
      want: { check: 'issuer', code: 'InvalidIdentityToken', status: 400, message: 'No OpenIDConnect provider found in your account for https://elsewhere.example.com' },
    },
    {
      name: 'trailing-slash issuer (provider registered without it)',
      token: () => mintToken(key, { issuer: `${ISSUER}/` }),
      want: { check: 'issuer', code: 'InvalidIdentityToken', status: 400, message: `No OpenIDConnect provider found in your account for ${ISSUER}/` },
    },
    {
      name: 'no iss',
      token: () => signToken(key, claims({ iss: undefined })),
      want: { check: 'issuer', code: 'InvalidIdentityToken', status: 400, message: 'Missing a required claim: iss' },
    },
    {
      name: 'no aud',
      token: () => signToken(key, claims({ aud: undefined })),
      want: { check: 'claims', code: 'InvalidIdentityToken', status: 400, message: 'Missing a required claim: aud' },
    },
    {
      name: 'no sub',
      token: () => signToken(key, claims({ sub: undefined })),
      want: { check: 'claims', code: 'InvalidIdentityToken', status: 400, message: 'Missing a required claim: sub' },
    },
    {
      name: 'fractional exp',
      token: () => signToken(key, claims({ exp: NOW + 3600.5 })),
      want: { check: 'time', code: 'InvalidIdentityToken', status: 400, message: 'The ID Token provided is not a valid JWT.' },
    },
    {
      name: 'not a JWT',
      token: () => 'this.is-not.a-jwt!',
      want: { check: 'parse', code: 'InvalidIdentityToken', status: 400, message: 'The ID Token provided is not a valid JWT.' },
    },
    {
      name: 'token over 20,000 characters',
      token: () => signToken(key, claims({ pad: 'x'.repeat(20_000) })),
      want: {
        check: 'size',
        code: 'ValidationError',
        status: 400,
        message: "1 validation error detected: Value at 'webIdentityToken' failed to satisfy constraint: Member must have length less than or equal to 20000",
      },
    },
  ];
  for (const c of cases) {
    const { options } = setup();
    const r = await verifyWebIdentityToken(await c.token(), options);
    assert.deepEqual(rejection(r), c.want, c.name);
  }
});

test('within the tolerance a just-expired token and a slightly future nbf pass; string NumericDates are read', async () => {
  const { options } = setup();
  assert.ok((await verifyWebIdentityToken(signToken(key, claims({ exp: NOW - 299 })), options)).ok);
  assert.ok((await verifyWebIdentityToken(signToken(key, claims({ nbf: NOW + 299 })), options)).ok);
  assert.ok((await verifyWebIdentityToken(signToken(key, claims({ exp: String(NOW + 60) })), options)).ok);
  const tooOld = await verifyWebIdentityToken(signToken(key, claims({ iat: NOW - 441_398, nbf: undefined })), { ...options, maxTokenAgeSeconds: 5 * 86_400 });
  assert.deepEqual(rejection(tooOld), { check: 'time', code: 'ExpiredTokenException', status: 400, message: 'Token too old: 441398' });
});

test('azp decides with several audiences; a one-element list and a plain string aud work', async () => {
  const { options } = setup();
  const multi = await verifyWebIdentityToken(signToken(key, claims({ aud: ['x', 'y'], azp: 'openshift' })), options);
  assert.ok(multi.ok);
  assert.equal(multi.audience, 'openshift');
  const plain = await verifyWebIdentityToken(signToken(key, claims({ aud: 'openshift' })), options);
  assert.ok(plain.ok && plain.audience === 'openshift');
});

test('issuer down: IDPCommunicationError; a 404 discovery or an issuer mismatch: cannot retrieve the key', async () => {
  const down = setup();
  down.issuer.down = true;
  assert.deepEqual(rejection(await verifyWebIdentityToken(await mintToken(key), down.options)), {
    check: 'signature',
    code: 'IDPCommunicationError',
    status: 400,
    message: "Couldn't connect to the identity provider at oidc.irsa.local; try again later",
  });
  const missing = setup();
  missing.issuer.status = 404;
  assert.equal(rejection(await verifyWebIdentityToken(await mintToken(key), missing.options)).message.startsWith("Couldn't retrieve verification key"), true);
  const mismatch = setup(new FakeIssuer([key], ISSUER, 'https://other.example.com'));
  const r = await verifyWebIdentityToken(await mintToken(key), mismatch.options);
  assert.equal(rejection(r).code, 'InvalidIdentityToken');
  assert.match(r.ok ? '' : r.failure.detail, /discovery document's issuer "https:\/\/other\.example\.com" is not the token's iss/);
});

test('keys are cached by max-age; an unknown kid re-fetches once (rotation), then is refused without a fetch storm', async () => {
  let nowMs = NOW * 1000;
  const { issuer, cache, options } = setup(new FakeIssuer([key]), () => nowMs);
  for (let i = 0; i < 5; i++) assert.ok((await verifyWebIdentityToken(await mintToken(key), options)).ok);
  assert.equal(cache.fetches, 1, 'one discovery + JWKS fetch for five tokens');
  assert.equal(issuer.requests.length, 2);
  // rotation: the issuer publishes a new key; a token signed with it triggers one re-fetch
  const next = newSigningKey('rsa');
  issuer.keys = [key, next];
  nowMs += 2000;
  assert.ok((await verifyWebIdentityToken(await mintToken(next), options)).ok);
  assert.equal(cache.fetches, 2);
  // a kid nobody publishes: one re-fetch allowed per second, so repeated garbage does not hammer the issuer
  const stranger = newSigningKey('rsa');
  nowMs += 2000;
  for (let i = 0; i < 3; i++) assert.equal(rejection(await verifyWebIdentityToken(signToken(stranger, claims()), options)).code, 'InvalidIdentityToken');
  assert.equal(cache.fetches, 3);
  // after max-age the keys are fetched again
  nowMs += 3600 * 1000;
  assert.ok((await verifyWebIdentityToken(await mintToken(key), options)).ok);
  assert.equal(cache.fetches, 4);
});

test('concurrent verifications share one fetch', async () => {
  const { cache, options } = setup();
  const token = await mintToken(key);
  const results = await Promise.all(Array.from({ length: 20 }, () => verifyWebIdentityToken(token, options)));
  assert.ok(results.every((r) => r.ok));
  assert.equal(cache.fetches, 1);
});

test('without a key source the checks run and the signature is reported as not checked; a static JWKS verifies', async () => {
  const { options } = setup();
  const token = tamper(await mintToken(key), claims({ sub: 'system:serviceaccount:x:y' }));
  const unchecked = await verifyWebIdentityToken(token, { ...options, keys: undefined });
  assert.ok(unchecked.ok && unchecked.signature === 'not-checked');
  const stat = staticKeySource(buildJwks([key.publicKey]) as unknown as Record<string, unknown>);
  assert.equal(rejection(await verifyWebIdentityToken(token, { ...options, keys: stat })).message, 'Signature could not be verified.');
  assert.ok((await verifyWebIdentityToken(await mintToken(key), { ...options, keys: stat })).ok);
});

test('a token without kid is accepted only when the JWKS has exactly one signing key', async () => {
  const { options } = setup();
  assert.ok((await verifyWebIdentityToken(signToken(key, claims(), { kid: undefined }), options)).ok);
  const two = setup(new FakeIssuer([key, newSigningKey('rsa')]));
  assert.equal(rejection(await verifyWebIdentityToken(signToken(key, claims(), { kid: undefined }), two.options)).check, 'signature');
});

test('the checks run in spec 2.3 order: issuer before claims before audience before time before signature', async () => {
  const { options } = setup();
  // unregistered issuer AND expired AND alg none: the issuer is named
  const t1 = unsignedToken(claims({ iss: 'https://nope.example.com', exp: NOW - 10_000, aud: 'wrong' }));
  assert.equal(rejection(await verifyWebIdentityToken(t1, options)).check, 'issuer');
  // wrong audience AND expired: audience first
  assert.equal(rejection(await verifyWebIdentityToken(signToken(key, claims({ aud: 'wrong', exp: NOW - 10_000 })), options)).check, 'audience');
  // expired AND alg none: time first
  assert.equal(rejection(await verifyWebIdentityToken(unsignedToken(claims({ exp: NOW - 10_000 })), options)).code, 'ExpiredTokenException');
});

test('maxAgeSeconds reads Cache-Control', () => {
  assert.equal(maxAgeSeconds('public, max-age=3600'), 3600);
  assert.equal(maxAgeSeconds('no-store'), 0);
  assert.equal(maxAgeSeconds(undefined), 300);
  assert.equal(maxAgeSeconds('max-age=999999'), 86_400);
});
