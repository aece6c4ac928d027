/**
 * The doctor's pure checks, each with a passing and a failing case: environment, token claims, STS endpoint
 * resolution, CA bundle, and the translation of AWS's errors into fixes.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CompactSign, SignJWT } from 'jose';
import {
  checkAudience,
  checkCaBundle,
  checkExpiry,
  checkProfile,
  checkRegion,
  checkSessionName,
  checkStaticCredentials,
  checkStsRegionalEndpoints,
  checkWebIdentityEnv,
  loadSharedProfile,
  parseAwsIni,
  checkIssuerClaim,
  checkKid,
  checkSubject,
  decodeToken,
  explainStsFailure,
  parseServiceAccountSubject,
  resolveStsEndpoint,
  type CheckResult,
  type DecodedToken,
} from '../../../src/kube/doctor/index.js';
import { parseRoleArn } from '../../../src/lib/aws-arn.js';
import { createWebhookCertificates } from '../../../src/webhook/index.js';
import { tempDir } from '../../oidc/helpers.js';

const NOW = new Date('2026-01-01T12:00:00Z');
const NOW_S = NOW.getTime() / 1000;

function byId(results: CheckResult[], id: string): CheckResult {
  const found = results.find((r) => r.id === id);
  assert.ok(found, `no result ${id}`);
  return found;
}

function token(claims: Record<string, unknown>, header: Record<string, unknown> = { alg: 'ES256', kid: 'k1' }): DecodedToken {
  return { text: 'x.y.z', header, claims };
}

function checkEnvironment(env: Record<string, string | undefined>): CheckResult[] {
  return [...checkWebIdentityEnv(env), checkRegion(env), checkStsRegionalEndpoints(env), checkSessionName(env), checkStaticCredentials(env)];
}

const GOOD = { iss: 'https://oidc.example.com/c1', sub: 'system:serviceaccount:my-project:app', aud: ['sts.amazonaws.com'], iat: NOW_S - 60, nbf: NOW_S - 60, exp: NOW_S + 3600 };

describe('environment', () => {
  const base = { AWS_ROLE_ARN: 'arn:aws:iam::111122223333:role/r', AWS_WEB_IDENTITY_TOKEN_FILE: '/t', AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'eu-west-1' };

  test('a mutated pod\'s env passes every check', () => {
    const results = checkEnvironment(base);
    assert.deepEqual(results.map((r) => [r.id, r.status]), [
      ['env.role-arn', 'ok'], ['env.token-file', 'ok'], ['env.region', 'ok'], ['env.sts-regional-endpoints', 'ok'],
      ['env.session-name', 'ok'], ['env.static-credentials', 'ok'],
    ]);
  });

  test('missing web identity variables fail with the webhook fix', () => {
    const results = checkEnvironment({ AWS_ROLE_ARN: '', AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'eu-west-1' });
    for (const id of ['env.role-arn', 'env.token-file']) {
      assert.equal(byId(results, id).status, 'fail');
      assert.match(byId(results, id).fix!, /eks\.amazonaws\.com\/role-arn/);
    }
  });

  const cases: Array<{ name: string; env: Record<string, string>; id: string; status: string; match: RegExp }> = [
    { name: 'no region', env: { AWS_REGION: '', AWS_DEFAULT_REGION: '' }, id: 'env.region', status: 'warn', match: /neither AWS_REGION nor AWS_DEFAULT_REGION/ },
    { name: 'regions differ', env: { AWS_DEFAULT_REGION: 'us-east-1' }, id: 'env.region', status: 'warn', match: /JS SDK uses the first/ },
    { name: 'only AWS_REGION', env: { AWS_DEFAULT_REGION: '' }, id: 'env.region', status: 'warn', match: /boto3 and the aws CLI find no region/ },
    { name: 'not a region', env: { AWS_REGION: 'Frankfurt' }, id: 'env.region', status: 'fail', match: /AWS_REGION=Frankfurt is not a region name/ },
    { name: 'regional endpoints typo', env: { AWS_STS_REGIONAL_ENDPOINTS: 'yes' }, id: 'env.sts-regional-endpoints', status: 'fail', match: /neither regional nor legacy/ },
    { name: 'legacy', env: { AWS_STS_REGIONAL_ENDPOINTS: 'legacy' }, id: 'env.sts-regional-endpoints', status: 'ok', match: /=legacy/ },
    { name: 'bad session name', env: { AWS_ROLE_SESSION_NAME: 'has space' }, id: 'env.session-name', status: 'fail', match: /ValidationError/ },
    { name: 'good session name', env: { AWS_ROLE_SESSION_NAME: 'app@pod-1' }, id: 'env.session-name', status: 'ok', match: /app@pod-1/ },
    { name: 'static keys', env: { AWS_ACCESS_KEY_ID: 'AKIAX', AWS_SECRET_ACCESS_KEY: 's' }, id: 'env.static-credentials', status: 'fail', match: /AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY set/ },
    { name: 'a session token alone', env: { AWS_SESSION_TOKEN: 't' }, id: 'env.static-credentials', status: 'fail', match: /AWS_SESSION_TOKEN/ },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const r = byId(checkEnvironment({ ...base, ...c.env }), c.id);
      assert.equal(r.status, c.status);
      assert.match(r.message, c.match);
      if (r.status !== 'ok') assert.ok(r.fix && !r.fix.includes('\n'), 'a one-line fix');
    });
  }
});

describe('env.profile: the shared config and credentials files', () => {
  const dir = tempDir();
  const config = join(dir, 'config');
  const credentials = join(dir, 'credentials');
  writeFileSync(config, `# comment
[default]
region = eu-west-1
[profile operator]
role_arn = arn:aws:iam::111122223333:role/op
web_identity_token_file = /var/run/secrets/openshift/serviceaccount/token
[profile chained]
role_arn = arn:aws:iam::111122223333:role/x
source_profile = default
[profile sso]
sso_session = corp
[profile s3tuned]
s3 =
  max_concurrent_requests = 20
`);
  writeFileSync(credentials, '[keys]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = x\n');
  const read = (p: string): Promise<Buffer> => readFile(p);
  const env = (profile?: string): Record<string, string> => ({ AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: credentials, ...(profile ? { AWS_PROFILE: profile } : {}) });

  test('parseAwsIni: sections, comments, nested values skipped', () => {
    const ini = parseAwsIni('; c\n[a]\nk = v = w\n  nested = 1\n[b]\n');
    assert.deepEqual(ini.get('a'), { k: 'v = w' });
    assert.deepEqual(ini.get('b'), {});
  });
  const cases: Array<[string | undefined, string, RegExp]> = [
    [undefined, 'ok', /profile default \(.*config\) holds no credentials/],
    ['operator', 'ok', /web identity, role_arn arn:aws:iam::111122223333:role\/op/],
    ['s3tuned', 'ok', /holds no credentials/],
    ['keys', 'fail', /profile keys \(.*credentials\) holds static keys/],
    ['chained', 'fail', /assumes arn:aws:iam::111122223333:role\/x from default/],
    ['sso', 'fail', /uses SSO/],
    ['missing', 'fail', /The config profile \(missing\) could not be found/],
  ];
  for (const [profile, status, match] of cases) {
    test(`${profile ?? 'default'}: ${status}`, async () => {
      const r = checkProfile(await loadSharedProfile(env(profile), read));
      assert.equal(r.id, 'env.profile');
      assert.equal(r.status, status);
      assert.match(r.message, match);
    });
  }
  test('no files and no AWS_PROFILE: ok', async () => {
    const r = checkProfile(await loadSharedProfile({ HOME: join(dir, 'nowhere') }, read));
    assert.equal(r.status, 'ok');
    assert.match(r.message, /no shared profile/);
  });
  test('a web-identity profile supplies env.role-arn and env.token-file', async () => {
    const results = checkWebIdentityEnv({}, { roleArn: 'arn:aws:iam::111122223333:role/op', tokenFile: '/t', where: 'profile operator in config' });
    assert.deepEqual(results.map((r) => r.status), ['ok', 'ok']);
    assert.match(results[0]!.message, /role_arn=arn:aws:iam::111122223333:role\/op \(profile operator in config; AWS_ROLE_ARN not set\)/);
  });
});

describe('token', () => {
  test('a Kubernetes-shaped token passes', () => {
    const t = token(GOOD);
    for (const r of [checkKid(t), checkIssuerClaim(t), checkSubject(t, GOOD.sub), checkAudience(t, 'sts.amazonaws.com'), checkExpiry(t, NOW)]) {
      assert.equal(r.status, 'ok', `${r.id}: ${r.message}`);
    }
    assert.match(checkExpiry(t, NOW).message, /expires in 1h00m/);
  });

  test('decodeToken: a JWT passes, garbage and HS256 fail', async () => {
    const es = await new SignJWT(GOOD).setProtectedHeader({ alg: 'HS256' }).sign(new Uint8Array(32));
    assert.equal(decodeToken('not-a-jwt').result.status, 'fail');
    assert.match(decodeToken('not-a-jwt').result.message, /not a JWT/);
    const hs = decodeToken(es);
    assert.equal(hs.result.status, 'fail');
    assert.match(hs.result.message, /alg HS256: STS accepts only RS256/);
    const unsigned = await new CompactSign(new TextEncoder().encode(JSON.stringify(GOOD))).setProtectedHeader({ alg: 'HS256' }).sign(new Uint8Array(32));
    assert.equal(decodeToken(`${unsigned}\n`).decoded?.claims.sub, GOOD.sub, 'a trailing newline is ignored');
  });

  const failing: Array<{ name: string; check: (t: DecodedToken) => CheckResult; claims?: Record<string, unknown>; header?: Record<string, unknown>; match: RegExp; status?: string }> = [
    { name: 'no kid', check: checkKid, header: { alg: 'ES256' }, match: /no kid/ },
    { name: 'no iss', check: checkIssuerClaim, claims: { iss: undefined }, match: /Missing a required claim: iss/ },
    { name: 'http iss', check: checkIssuerClaim, claims: { iss: 'http://oidc.example.com' }, match: /iss "http:\/\/oidc.example.com": must start with https:\/\// },
    { name: 'iss with a port', check: checkIssuerClaim, claims: { iss: 'https://oidc.example.com:8443' }, match: /must not contain a port/ },
    { name: 'no sub', check: (t) => checkSubject(t), claims: { sub: undefined }, match: /Missing a required claim: sub/ },
    { name: 'sub of a user', check: (t) => checkSubject(t), claims: { sub: 'alice' }, match: /is not system:serviceaccount:NAMESPACE:NAME/ },
    { name: 'sub of another SA', check: (t) => checkSubject(t, 'system:serviceaccount:my-project:other'), match: /but the pod runs as system:serviceaccount:my-project:other/ },
    { name: 'no aud', check: (t) => checkAudience(t, 'sts.amazonaws.com'), claims: { aud: undefined }, match: /Missing a required claim: aud/ },
    { name: 'wrong aud', check: (t) => checkAudience(t, 'sts.amazonaws.com'), claims: { aud: ['openshift'] }, match: /\["openshift"\] does not hold sts.amazonaws.com \(STS: Incorrect token audience\)/ },
    { name: 'two auds, no azp', check: (t) => checkAudience(t, 'sts.amazonaws.com'), claims: { aud: ['sts.amazonaws.com', 'openshift'] }, match: /needs azp/, status: 'warn' },
    { name: 'expired', check: (t) => checkExpiry(t, NOW), claims: { exp: NOW_S - 90 }, match: /expired 1m30s ago .*ExpiredTokenException/ },
    { name: 'no exp', check: (t) => checkExpiry(t, NOW), claims: { exp: undefined }, match: /Missing a required claim: exp/ },
    { name: 'no iat', check: (t) => checkExpiry(t, NOW), claims: { iat: undefined }, match: /Missing a required claim: iat/ },
    { name: 'issued in the future', check: (t) => checkExpiry(t, NOW), claims: { iat: NOW_S + 600, nbf: NOW_S + 600 }, match: /issued 10m00s in the future/ },
  ];
  for (const c of failing) {
    test(c.name, () => {
      const r = c.check(token({ ...GOOD, ...c.claims }, c.header));
      assert.equal(r.status, c.status ?? 'fail');
      assert.match(r.message, c.match);
      assert.ok(r.fix !== undefined && r.fix.length > 0);
    });
  }

  test('a token issued within STS\'s 5-minute skew is fine', () => {
    assert.equal(checkExpiry(token({ ...GOOD, iat: NOW_S + 200, nbf: NOW_S + 200 }), NOW).status, 'ok');
  });

  test('parseServiceAccountSubject', () => {
    assert.deepEqual(parseServiceAccountSubject('system:serviceaccount:my-project:test-service-account'), { namespace: 'my-project', name: 'test-service-account' });
    for (const bad of ['system:serviceaccount:My:x', 'system:serviceaccount:ns', 'system:serviceaccount:ns:a:b', 'system:serviceaccounts:ns:a', `system:serviceaccount:${'a'.repeat(64)}:x`]) {
      assert.equal(parseServiceAccountSubject(bad), undefined, bad);
    }
  });
});

describe('sts.endpoint', () => {
  const cases: Array<{ env: Record<string, string>; endpoint?: string; region?: string; match: RegExp }> = [
    { env: { AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:4566/', AWS_ENDPOINT_URL: 'http://x:1', AWS_REGION: 'eu-west-1' }, endpoint: 'http://127.0.0.1:4566', region: 'eu-west-1', match: /from AWS_ENDPOINT_URL_STS/ },
    { env: { AWS_ENDPOINT_URL: 'https://plane.local:8443' }, endpoint: 'https://plane.local:8443', region: 'us-east-1', match: /from AWS_ENDPOINT_URL;/ },
    { env: { AWS_ENDPOINT_URL: 'https://plane.local', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true', AWS_REGION: 'eu-west-1' }, endpoint: 'https://sts.eu-west-1.amazonaws.com', match: /regional/ },
    { env: { AWS_REGION: 'eu-central-1' }, endpoint: 'https://sts.eu-central-1.amazonaws.com', region: 'eu-central-1', match: /regional, region eu-central-1/ },
    { env: { AWS_DEFAULT_REGION: 'us-west-2', AWS_STS_REGIONAL_ENDPOINTS: 'legacy' }, endpoint: 'https://sts.amazonaws.com', region: 'us-east-1', match: /global: AWS_STS_REGIONAL_ENDPOINTS=legacy in us-west-2/ },
    { env: { AWS_REGION: 'af-south-1', AWS_STS_REGIONAL_ENDPOINTS: 'legacy' }, endpoint: 'https://sts.af-south-1.amazonaws.com', match: /regional/ },
    { env: { AWS_REGION: 'cn-north-1' }, endpoint: 'https://sts.cn-north-1.amazonaws.com.cn', match: /regional/ },
    { env: {}, endpoint: 'https://sts.amazonaws.com', region: 'us-east-1', match: /global: no region set/ },
  ];
  for (const c of cases) {
    test(`${JSON.stringify(c.env)} -> ${c.endpoint}`, () => {
      const r = resolveStsEndpoint(c.env);
      assert.equal(r.result.status, 'ok');
      assert.equal(r.target?.endpoint, c.endpoint);
      if (c.region) assert.equal(r.target?.region, c.region);
      assert.match(r.result.message, c.match);
    });
  }
  test('an endpoint URL that is not http(s) fails', () => {
    for (const value of ['sts.local:4566', 'ftp://x', 'http://']) {
      const r = resolveStsEndpoint({ AWS_ENDPOINT_URL_STS: value });
      assert.equal(r.result.status, 'fail', value);
      assert.equal(r.target, undefined);
      assert.match(r.result.fix!, /AWS_ENDPOINT_URL_STS/);
    }
  });
});

describe('sts.ca-bundle', () => {
  const dir = tempDir();
  const certs = createWebhookCertificates({ localhost: true });
  writeFileSync(join(dir, 'ca.pem'), certs.caCert);
  writeFileSync(join(dir, 'key.pem'), certs.key);
  writeFileSync(join(dir, 'broken.pem'), '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
  mkdirSync(join(dir, 'folder'));
  const read = (p: string): Promise<Buffer> => readFile(p);

  test('unset and a PEM bundle pass', async () => {
    assert.equal((await checkCaBundle({}, read, NOW)).result.status, 'ok');
    const r = await checkCaBundle({ AWS_CA_BUNDLE: join(dir, 'ca.pem') }, read, NOW);
    assert.equal(r.result.status, 'ok');
    assert.match(r.result.message, /1 certificate\(s\)/);
    assert.equal(r.pem, certs.caCert);
  });
  for (const [name, file, match] of [
    ['missing', 'nope.pem', /cannot be read \(ENOENT\)/],
    ['a folder', 'folder', /cannot be read \(EISDIR\)/],
    ['a key, not a certificate', 'key.pem', /no PEM certificate/],
    ['a broken certificate', 'broken.pem', /does not parse/],
  ] as const) {
    test(`${name} fails`, async () => {
      const r = await checkCaBundle({ AWS_CA_BUNDLE: join(dir, file) }, read, NOW);
      assert.equal(r.result.status, 'fail');
      assert.match(r.result.message, match);
      assert.match(r.result.fix!, /AWS_CA_BUNDLE|CA certificate/);
    });
  }
  test('a bundle whose certificates all expired fails', async () => {
    const r = await checkCaBundle({ AWS_CA_BUNDLE: join(dir, 'ca.pem') }, read, new Date('2099-01-01T00:00:00Z'));
    assert.equal(r.result.status, 'fail');
    assert.match(r.result.message, /every certificate has expired/);
  });
});

describe('explainStsFailure', () => {
  const ctx = {
    role: parseRoleArn('arn:aws:iam::111122223333:role/s3-reader')!,
    roleArn: 'arn:aws:iam::111122223333:role/s3-reader',
    token: token(GOOD),
    endpoint: 'https://sts.us-east-1.amazonaws.com',
  };
  const cases: Array<[string | undefined, string, RegExp, string?]> = [
    ['AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity', /"oidc\.example\.com\/c1:sub" = "system:serviceaccount:my-project:app" and "oidc\.example\.com\/c1:aud" = "sts\.amazonaws\.com"/],
    ['AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity', /Principal\.Federated arn:aws:iam::111122223333:oidc-provider\/oidc\.example\.com\/c1 with Action sts:AssumeRoleWithWebIdentity/],
    ['InvalidIdentityToken', 'No OpenIDConnect provider found in your account for https://oidc.example.com/c1', /create the IAM OIDC provider for https:\/\/oidc\.example\.com\/c1 in account 111122223333/],
    ['InvalidIdentityToken', 'Incorrect token audience', /add sts\.amazonaws\.com to the client IDs of arn:aws:iam::111122223333:oidc-provider\/oidc\.example\.com\/c1/],
    ['InvalidIdentityToken', 'Missing a required claim: aud', /lacks a claim/],
    ['InvalidIdentityToken', "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements", /JWKS lacks kid k1/],
    ['InvalidIdentityToken', "OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint", /update-open-id-connect-provider-thumbprint/],
    ['ExpiredTokenException', 'Token expired: current date/time 1 must be before the expiration date/time0', /read the token file anew/],
    ['IDPCommunicationError', 'timeout', /could not reach https:\/\/oidc\.example\.com\/c1/],
    ['ValidationError', 'arn is invalid', /AWS_ROLE_ARN/],
    ['RegionDisabledException', 'STS is not activated in this region', /activate STS/],
    ['InvalidClientTokenId', 'The security token included in the request is invalid.', /AWS_ENDPOINT_URL_STS/],
    [undefined, 'connect ECONNREFUSED 127.0.0.1:1', /nothing answers at https:\/\/sts\.us-east-1\.amazonaws\.com/, 'ECONNREFUSED'],
    [undefined, 'unable to verify the first certificate', /set AWS_CA_BUNDLE/, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
    ['SomethingNew', 'who knows', /see AWS's message above/],
  ];
  for (const [code, message, match, networkCode] of cases) {
    test(`${code ?? networkCode}: ${message.slice(0, 40)}`, () => {
      const fix = explainStsFailure({ ...(code ? { code } : {}), message, ...(networkCode ? { networkCode } : {}) }, ctx);
      assert.match(fix, match);
      assert.ok(!fix.includes('\n'));
    });
  }
});
