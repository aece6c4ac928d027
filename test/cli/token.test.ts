import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { cleanEnv, runCli } from '../oidc/cli-helpers.js';
import { segment, tempDir } from '../oidc/helpers.js';

const dir = tempDir();
const ISSUER = 'https://oidc.example.com/c1';

async function setup(): Promise<JSONWebKeySet> {
  assert.equal((await runCli(['keys', 'create', '--out', 'k'], dir)).code, 0);
  assert.equal((await runCli(['keys', 'create', '--out', 'other'], dir)).code, 0);
  assert.equal((await runCli(['oidc', 'discovery', '--issuer', ISSUER, '--public-key', 'k/sa-signer.pub', '--out', 'site'], dir)).code, 0);
  return JSON.parse(readFileSync(join(dir, 'site', 'keys.json'), 'utf8')) as JSONWebKeySet;
}

describe('irsa token', () => {
  test('mints a token that verifies against the JWKS written by oidc discovery, not against another key', async () => {
    const jwks = await setup();
    const run = await runCli(['token', '--signing-key', 'k/sa-signer.key', '--issuer', ISSUER, '--namespace', 'team-a', '--service-account', 'app',
      '--audience', 'sts.amazonaws.com', '--service-account-uid', 'u-sa', '--pod-name', 'app-1', '--pod-uid', 'u-pod', '--node-name', 'node-1', '--node-uid', 'u-node'], dir);
    assert.equal(run.code, 0, run.stderr);
    const token = run.stdout.trim();
    assert.equal(run.stdout, `${token}\n`);
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), { issuer: ISSUER, audience: 'sts.amazonaws.com' });
    assert.deepEqual(Object.keys(protectedHeader), ['alg', 'kid']);
    assert.equal(payload.sub, 'system:serviceaccount:team-a:app');
    assert.deepEqual(payload.aud, ['sts.amazonaws.com']);
    assert.equal(payload.exp! - payload.iat!, 3600);
    assert.equal(payload.nbf, payload.iat);
    assert.match(segment(token, 1), /"kubernetes\.io":\{"namespace":"team-a","node":\{"name":"node-1","uid":"u-node"\},"pod":\{"name":"app-1","uid":"u-pod"\},"serviceaccount":\{"name":"app","uid":"u-sa"\}\}/);

    assert.equal((await runCli(['oidc', 'discovery', '--issuer', ISSUER, '--public-key', 'other/sa-signer.pub', '--out', 'site-other'], dir)).code, 0);
    const otherJwks = JSON.parse(readFileSync(join(dir, 'site-other', 'keys.json'), 'utf8')) as JSONWebKeySet;
    await assert.rejects(jwtVerify(token, createLocalJWKSet(otherJwks), { issuer: ISSUER }), { code: 'ERR_JWKS_NO_MATCHING_KEY' });
  });

  test('default audience sts.amazonaws.com, several audiences, --output json', async () => {
    const one = await runCli(['token', '--signing-key', 'k/sa-signer.key', '--issuer', ISSUER, '--namespace', 'a', '--service-account', 'b'], dir);
    assert.deepEqual(JSON.parse(segment(one.stdout.trim(), 1)).aud, ['sts.amazonaws.com']);
    const json = await runCli(['token', '--signing-key', 'k/sa-signer.key', '--issuer', ISSUER, '--namespace', 'a', '--service-account', 'b', '--audience', 'x', '--audience', 'y', '--expiration', '7200', '-o', 'json'], dir);
    assert.equal(json.code, 0, json.stderr);
    const out = JSON.parse(json.stdout) as { token: string; claims: { aud: string[]; exp: number; iat: number }; expirationTimestamp: string };
    assert.deepEqual(out.claims.aud, ['x', 'y']);
    assert.equal(out.claims.exp - out.claims.iat, 7200);
    assert.equal(out.expirationTimestamp, new Date(out.claims.exp * 1000).toISOString().replace('.000Z', 'Z'));
    assert.match(json.stderr, /valid for 7200 s/);
  });

  test('bad input: one line, exit 2, never key material', async () => {
    const base = ['token', '--issuer', ISSUER, '--namespace', 'a', '--service-account', 'b'];
    const cases: Array<[string[], RegExp]> = [
      [['--signing-key', 'k/sa-signer.key', '--expiration', '599'], /--expiration: may not specify a duration less than 10 minutes/],
      [['--signing-key', 'k/sa-signer.key', '--expiration', '4294967297'], /may not specify a duration larger than 2\^32 seconds/],
      [['--signing-key', 'k/sa-signer.key', '--expiration', '1h'], /--expiration "1h": use a whole number of seconds/],
      [['--signing-key', 'k/sa-signer.pub'], /holds a public key or certificate; pass the private signing key/],
      [['--signing-key', 'nope.key'], /nope\.key: signing key file does not exist/],
      [['--signing-key', 'k/sa-signer.key', '--pod-name', 'p'], /--pod-name and --pod-uid go together/],
      [['--signing-key', 'k/sa-signer.key', '--node-name', 'n'], /only set on Pod-bound tokens/],
    ];
    for (const [args, message] of cases) {
      const run = await runCli([...base, ...args], dir);
      assert.equal(run.code, 2, args.join(' '));
      assert.match(run.stderr, message);
      assert.equal(run.stdout, '');
    }
    const missing = await runCli(['token', '--namespace', 'a', '--service-account', 'b'], dir);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--signing-key FILE is required \(or IRSA_SIGNING_KEY, set by: source \.irsa\/env\)/);
    const port = await runCli(['token', '--issuer', 'https://h:444', '--namespace', 'a', '--service-account', 'b', '--signing-key', 'k/sa-signer.key'], dir);
    assert.equal(port.code, 2);
    assert.match(port.stderr, /must not contain a port/);
  });

  test('defaults --signing-key and --issuer from IRSA_SIGNING_KEY / IRSA_ISSUER (irsa up\'s env file)', async () => {
    const env = cleanEnv({ IRSA_SIGNING_KEY: join(dir, 'k', 'sa-signer.key'), IRSA_ISSUER: ISSUER });
    const run = await runCli(['token', '--namespace', 'a', '--service-account', 'b'], dir, env);
    assert.equal(run.code, 0, run.stderr);
    const jwks = JSON.parse(readFileSync(join(dir, 'site', 'keys.json'), 'utf8')) as JSONWebKeySet;
    const { payload } = await jwtVerify(run.stdout.trim(), createLocalJWKSet(jwks), { issuer: ISSUER });
    assert.equal(payload.sub, 'system:serviceaccount:a:b');
  });
});
