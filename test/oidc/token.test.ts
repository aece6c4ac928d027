import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { compactVerify, createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import {
  buildJwks,
  checkExpirationSeconds,
  createSigningKey,
  mintServiceAccountToken,
  OidcError,
  validateIssuerUrl,
  verifyServiceAccountToken,
  type MintServiceAccountTokenOptions,
} from '../../src/oidc/index.js';
import { segment } from './helpers.js';

const rsa = createSigningKey(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
const ec = createSigningKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
const NOW = new Date('2025-01-01T00:00:00.750Z');
const ISSUER = 'https://example-oidc.s3.us-east-1.amazonaws.com';
const JTI = '3f0c5b8e-2b1a-4c6d-9e7f-0a1b2c3d4e5f';

function options(over: Partial<MintServiceAccountTokenOptions> = {}): MintServiceAccountTokenOptions {
  return {
    signingKey: rsa,
    issuer: ISSUER,
    namespace: 'openshift-ingress-operator',
    serviceAccountName: 'ingress-operator',
    serviceAccountUid: 'c1d2e3f4-0000-4000-8000-000000000001',
    audiences: ['openshift'],
    pod: { name: 'ingress-operator-7d9f', uid: 'c1d2e3f4-0000-4000-8000-000000000002' },
    node: { name: 'ip-10-0-1-2.ec2.internal', uid: 'c1d2e3f4-0000-4000-8000-000000000003' },
    now: () => NOW,
    randomUUID: () => JTI,
    ...over,
  };
}

describe('mintServiceAccountToken', () => {
  test('header and payload bytes have the layout of a real kubelet-projected token (spec 1.1, 1.4)', async () => {
    const minted = await mintServiceAccountToken(options());
    assert.equal(segment(minted.token, 0), `{"alg":"RS256","kid":"${rsa.kid}"}`);
    const iat = 1735689600;
    assert.equal(
      segment(minted.token, 1),
      `{"aud":["openshift"],"exp":${iat + 3600},"iat":${iat},"iss":"${ISSUER}","jti":"${JTI}",` +
        '"kubernetes.io":{"namespace":"openshift-ingress-operator",' +
        '"node":{"name":"ip-10-0-1-2.ec2.internal","uid":"c1d2e3f4-0000-4000-8000-000000000003"},' +
        '"pod":{"name":"ingress-operator-7d9f","uid":"c1d2e3f4-0000-4000-8000-000000000002"},' +
        '"serviceaccount":{"name":"ingress-operator","uid":"c1d2e3f4-0000-4000-8000-000000000001"}},' +
        `"nbf":${iat},"sub":"system:serviceaccount:openshift-ingress-operator:ingress-operator"}`,
    );
    assert.equal(minted.issuedAt.getTime(), iat * 1000);
    assert.equal(minted.expiresAt.getTime(), (iat + 3600) * 1000);
    assert.equal(minted.token.split('.').length, 3);
    assert.ok(!minted.token.includes('='));
  });

  test('unbound token, single audience still an array, optional members omitted, default jti is a v4 UUID', async () => {
    const minted = await mintServiceAccountToken(options({ pod: undefined, node: undefined, serviceAccountUid: undefined, randomUUID: undefined, audiences: ['sts.amazonaws.com'] }));
    const claims = JSON.parse(segment(minted.token, 1)) as Record<string, unknown>;
    assert.deepEqual(Object.keys(claims), ['aud', 'exp', 'iat', 'iss', 'jti', 'kubernetes.io', 'nbf', 'sub']);
    assert.deepEqual(claims.aud, ['sts.amazonaws.com']);
    assert.deepEqual(claims['kubernetes.io'], { namespace: 'openshift-ingress-operator', serviceaccount: { name: 'ingress-operator' } });
    assert.match(claims.jti as string, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(claims.nbf, claims.iat);
  });

  test('ES256 signature is raw r‖s (64 bytes), verifiable with jose', async () => {
    const minted = await mintServiceAccountToken(options({ signingKey: ec }));
    assert.equal(segment(minted.token, 0), `{"alg":"ES256","kid":"${ec.kid}"}`);
    assert.equal(Buffer.from(minted.token.split('.')[2]!, 'base64url').length, 64);
    await compactVerify(minted.token, ec.publicKey);
  });

  test('verifies with jose against the issuer JWKS, and is rejected against another key set', async () => {
    const minted = await mintServiceAccountToken(options({ now: undefined }));
    const jwks = buildJwks([rsa.publicKey, ec.publicKey]);
    const { payload, protectedHeader } = await jwtVerify(minted.token, createLocalJWKSet(jwks as unknown as JSONWebKeySet), { issuer: ISSUER, audience: 'openshift' });
    assert.equal(payload.sub, 'system:serviceaccount:openshift-ingress-operator:ingress-operator');
    assert.equal(protectedHeader.kid, rsa.kid);
    const claims = await verifyServiceAccountToken(minted.token, jwks, { issuer: ISSUER, audiences: ['openshift'] });
    assert.equal(claims['kubernetes.io'].pod?.name, 'ingress-operator-7d9f');
    const other = buildJwks([generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey]);
    await assert.rejects(verifyServiceAccountToken(minted.token, other, { issuer: ISSUER }), { code: 'ERR_JWKS_NO_MATCHING_KEY' });
    // same kid, different key: signature fails
    const forged = { keys: [{ ...other.keys[0]!, kid: rsa.kid }] } as typeof other;
    await assert.rejects(verifyServiceAccountToken(minted.token, forged, { issuer: ISSUER }), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
    await assert.rejects(verifyServiceAccountToken(minted.token, jwks, { issuer: ISSUER, audiences: ['sts.amazonaws.com'] }), { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED' });
  });

  test('TokenRequest lifetime bounds and messages', async () => {
    assert.deepEqual(checkExpirationSeconds(600), { expirationSeconds: 600, warnings: [] });
    assert.deepEqual(checkExpirationSeconds(2 ** 32), { expirationSeconds: 2 ** 32, warnings: [] });
    assert.deepEqual(checkExpirationSeconds(7200, 3600), { expirationSeconds: 3600, warnings: ['requested expiration of 7200 seconds shortened to 3600 seconds'] });
    for (const [value, message] of [
      [599, /may not specify a duration less than 10 minutes/],
      [0, /not a whole number/],
      [2 ** 32 + 1, /may not specify a duration larger than 2\^32 seconds/],
      [1.5, /not a whole number/],
    ] as const) {
      assert.throws(() => checkExpirationSeconds(value), (err: unknown) => err instanceof OidcError && err.code === 'ERR_OIDC_INVALID_EXPIRATION' && message.test(err.message), String(value));
    }
    await assert.rejects(mintServiceAccountToken(options({ expirationSeconds: 300 })), { code: 'ERR_OIDC_INVALID_EXPIRATION' });
    const minted = await mintServiceAccountToken(options({ expirationSeconds: 86400 }));
    assert.equal(minted.claims.exp - minted.claims.iat, 86400);
  });

  test('extended expiration only for Pod-bound 3607 s requests whose audiences are all API audiences (spec 1.7)', async () => {
    const api = { apiAudiences: [ISSUER] };
    const extended = await mintServiceAccountToken(options({ audiences: [ISSUER], expirationSeconds: 3607, extendExpiration: api }));
    assert.equal(extended.claims.exp - extended.claims.iat, 31536000);
    assert.equal(extended.claims['kubernetes.io'].warnafter, extended.claims.iat + 3607);
    assert.equal(extended.expirationSeconds, 3607);
    assert.deepEqual(Object.keys(extended.claims['kubernetes.io']), ['namespace', 'node', 'pod', 'serviceaccount', 'warnafter']);
    for (const over of [{ audiences: ['sts.amazonaws.com'] }, { expirationSeconds: 3600 }, { pod: undefined, node: undefined }]) {
      const plain = await mintServiceAccountToken(options({ audiences: [ISSUER], expirationSeconds: 3607, extendExpiration: api, ...over }));
      assert.equal(plain.claims['kubernetes.io'].warnafter, undefined);
      assert.ok(plain.claims.exp - plain.claims.iat <= 3607);
    }
  });

  test('bad claims input', async () => {
    const cases: Array<[Partial<MintServiceAccountTokenOptions>, RegExp]> = [
      [{ namespace: 'Bad_NS' }, /namespace "Bad_NS"/],
      [{ serviceAccountName: '' }, /service account name/],
      [{ audiences: [] }, /at least one/],
      [{ secret: { name: 's', uid: 'u' } }, /Pod or a Secret/],
      [{ pod: undefined }, /Pod-bound/],
    ];
    for (const [over, message] of cases) {
      await assert.rejects(mintServiceAccountToken(options(over)), (err: unknown) => err instanceof OidcError && err.code === 'ERR_OIDC_INVALID_CLAIM' && message.test(err.message));
    }
  });
});

describe('validateIssuerUrl', () => {
  test('accepts https issuers with paths and splits the host path IAM uses', () => {
    assert.deepEqual(validateIssuerUrl('https://oidc.op1.openshiftapps.com/2abc'), {
      issuer: 'https://oidc.op1.openshiftapps.com/2abc',
      host: 'oidc.op1.openshiftapps.com',
      path: '/2abc',
      hostPath: 'oidc.op1.openshiftapps.com/2abc',
    });
    assert.equal(validateIssuerUrl('https://h.example.com/').hostPath, 'h.example.com');
  });

  test('rejects what IAM rejects, naming the problem and the fix', () => {
    const cases: Array<[string, RegExp]> = [
      ['http://oidc.example.com', /must start with https:\/\//],
      ['https://oidc.example.com:8443', /must not contain a port/],
      ['https://oidc.example.com:443/x', /must not contain a port/],
      ['https://oidc.example.com/?a=1', /must not contain a query/],
      ['https://oidc.example.com/#frag', /must not contain a fragment/],
      ['https://user@oidc.example.com', /user info/],
      ['https://', /not a valid URL|has no host/],
      ['', /is empty/],
      [`https://h.example.com/${'a'.repeat(260)}`, /at most 255/],
      ['oidc.example.com', /must start with https:\/\//],
    ];
    for (const [issuer, message] of cases) {
      assert.throws(() => validateIssuerUrl(issuer), (err: unknown) => {
        assert.ok(err instanceof OidcError);
        assert.equal(err.code, 'ERR_OIDC_INVALID_ISSUER');
        assert.match(err.message, message, issuer);
        assert.match(err.message, /^issuer /);
        assert.equal(err.field, 'issuer');
        return true;
      });
    }
  });
});
