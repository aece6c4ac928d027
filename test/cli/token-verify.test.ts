/**
 * `irsa token decode|verify` and `irsa policy explain-trust` answer as STS does (issue 9 item 1): the same token
 * checks in the same order with the same codes; a failed check is the decision (exit 1) and is named; with --jwks
 * (or the local issuer of .irsa/env) the signature is verified, without keys the output says it was not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildIssuerDocuments, createIssuerServer, createIssuerSite, createSigningKey, generateSigningKeyPair, serializeJwks, buildJwks } from '../../src/oidc/index.js';
import { createWebhookCertificates } from '../../src/webhook/index.js';
import { runCli } from './capture.js';
import { claims, mintToken, signToken, unsignedToken } from '../aws/sts/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'irsa-token-verify-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const ISSUER = 'https://oidc.irsa.local';
const PROVIDER = 'arn:aws:iam::111122223333:oidc-provider/oidc.irsa.local';
const key = createSigningKey(generateSigningKeyPair({ type: 'rsa' }).privateKey);
const other = createSigningKey(generateSigningKeyPair({ type: 'rsa' }).privateKey);
writeFileSync(join(dir, 'keys.json'), serializeJwks(buildJwks([key.publicKey])));
writeFileSync(
  join(dir, 'trust.json'),
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Federated: PROVIDER }, Action: 'sts:AssumeRoleWithWebIdentity', Condition: { StringEquals: { 'oidc.irsa.local:sub': 'system:serviceaccount:default:app', 'oidc.irsa.local:aud': 'sts.amazonaws.com' } } }],
  }),
);
const now = (): number => Math.floor(Date.now() / 1000);
const run = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(args, { cwd: dir, env: { PATH: process.env.PATH, ...env } });
const explain = (token: string, extra: string[] = []) => run(['policy', 'explain-trust', '--trust-policy', 'trust.json', '--provider-arn', PROVIDER, '--token', token, ...extra]);

test('explain-trust: each token STS would refuse is refused (exit 1), naming the check and STS\'s code and message', async () => {
  const t = now();
  const cases: Array<[string, string, RegExp]> = [
    ['iss mismatched', await mintToken(key, { issuer: 'https://elsewhere.example.com', now: t }), /^TokenRejected: STS answers InvalidIdentityToken \(HTTP 400\) at the issuer check.*\n {2}No OpenIDConnect provider found in your account for https:\/\/elsewhere\.example\.com\n/],
    ['expired', await mintToken(key, { now: t - 4000 }), /^TokenRejected: STS answers ExpiredTokenException \(HTTP 400\) at the time check.*\n {2}Token expired: current date\/time \d+ must be before the expiration date\/time\d+\n/],
    ['no iss', signToken(key, claims({ iss: undefined, iat: t, nbf: t, exp: t + 600 })), /at the issuer check[^\n]*\n {2}Missing a required claim: iss\n/],
    ['future nbf', signToken(key, claims({ iat: t, nbf: t + 3600, exp: t + 7200 })), /InvalidIdentityToken \(HTTP 400\) at the time check[^\n]*\n {2}Token not yet valid/],
    ['wrong aud', await mintToken(key, { audiences: ['sts.amazon.com'], now: t }), /at the audience check[^\n]*\n {2}Incorrect token audience\n/],
    ['alg none', unsignedToken(claims({ iat: t, nbf: t, exp: t + 600 })), /at the algorithm check[^\n]*\n {2}Signature could not be verified\./],
  ];
  for (const [name, token, want] of cases) {
    const r = await explain(token);
    assert.equal(r.code, 1, `${name}: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout, want, name);
    assert.doesNotMatch(r.stdout, /^Allow/m, name);
  }
  const json = JSON.parse((await explain(await mintToken(key, { now: t - 4000 }), ['--json'])).stdout);
  assert.equal(json.decision, 'TokenRejected');
  assert.deepEqual([json.tokenCheck.check, json.tokenCheck.code, json.tokenCheck.httpStatus], ['time', 'ExpiredTokenException', 400]);
});

test('explain-trust: the signature is verified with --jwks and said NOT checked without keys', async () => {
  const good = await mintToken(key, { now: now() });
  const verified = await explain(good, ['--jwks', 'keys.json']);
  assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  assert.match(verified.stdout, /^Allow: sts:AssumeRoleWithWebIdentity with arn:aws:iam::111122223333:oidc-provider\/oidc\.irsa\.local\n {2}token checks passed; signature verified \(key [\w-]+, --jwks keys\.json\)/);
  const unchecked = await explain(good);
  assert.equal(unchecked.code, 0);
  assert.match(unchecked.stdout, /signature NOT checked \(no keys: pass --jwks FILE\|URL/);
  const forged = await explain(await mintToken(other, { now: now() }), ['--jwks', 'keys.json']);
  assert.equal(forged.code, 1);
  assert.match(forged.stdout, /at the signature check[^\n]*\n {2}Couldn't retrieve verification key from your identity provider, {2}please reference/);
});

test('explain-trust finds the local issuer through .irsa/env and fetches its JWKS over HTTPS', async (t) => {
  const certs = createWebhookCertificates({ localhost: true });
  const docs = buildIssuerDocuments({ issuer: ISSUER, publicKeys: [key.publicKey] });
  const server = await createIssuerServer({ site: createIssuerSite(docs.issuer, docs.files), port: 0, tls: { cert: certs.cert, key: certs.key } });
  t.after(() => server.close());
  writeFileSync(join(dir, 'ca.crt'), certs.caCert);
  const env = { IRSA_ISSUER: ISSUER, IRSA_ISSUER_URL: server.url, IRSA_WEBHOOK_CA: join(dir, 'ca.crt') };
  const ok = await run(['policy', 'explain-trust', '--trust-policy', 'trust.json', '--provider-arn', PROVIDER, '--token', await mintToken(key, { now: now() })], env);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /signature verified \(key [\w-]+, the local issuer https:\/\/oidc\.irsa\.local at https:\/\/127\.0\.0\.1:\d+ \(\.irsa\/env\)\)/);
  const forged = await run(['policy', 'explain-trust', '--trust-policy', 'trust.json', '--provider-arn', PROVIDER, '--token', await mintToken(other, { now: now() })], env);
  assert.equal(forged.code, 1);
  assert.match(forged.stdout, /InvalidIdentityToken \(HTTP 400\) at the signature check/);
});

test('token decode prints header, claims and times; token verify names what fails and exits 1', async () => {
  const token = await mintToken(key, { now: now() - 4000 });
  writeFileSync(join(dir, 'old.jwt'), `${token}\n`);
  const decoded = await run(['token', 'decode', 'old.jwt']);
  assert.equal(decoded.code, 0, decoded.stderr);
  assert.match(decoded.stdout, /^header: \{"alg":"RS256","kid":"[\w-]+"\}\nclaims:\n {2}aud: \["sts\.amazonaws\.com"\]\n/);
  assert.match(decoded.stdout, /\ntimes:\n {2}iat \d+ = \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(67 min ago\)\n/);
  const verified = await run(['token', 'verify', 'old.jwt', '--jwks', 'keys.json']);
  assert.equal(verified.code, 1);
  assert.match(verified.stdout, /^rejected: STS answers ExpiredTokenException at the time check\n/);
  assert.match(verified.stdout, / {2}time {7}FAILED: ExpiredTokenException \(HTTP 400\): Token expired: current date\/time \d+ must be before the expiration date\/time\d+\n {13}why: exp .* tolerance 300 s\n {2}algorithm {2}not run/);
  const fresh = await run(['token', 'verify', await mintToken(key, { now: now() }), '--jwks', 'keys.json']);
  assert.equal(fresh.code, 0, fresh.stdout);
  assert.match(fresh.stdout, /^valid: STS would accept this token\n/);
  assert.match(fresh.stdout, / {2}signature {2}ok \(key [\w-]+, --jwks keys\.json\)/);
  const bad = await run(['token', 'decode', 'not-a-token']);
  assert.equal(bad.code, 2);
});
