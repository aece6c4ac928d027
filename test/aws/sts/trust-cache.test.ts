/**
 * The per-second memo of web-identity trust allows: reused only for the same trust policy, claims (as the context
 * reads them: not a token's jti or times), provider, audience, role, session name and second; refusals are evaluated and traced every time. Then through the plane:
 * a trust-policy update or another subject within the same second is refused, and explained in full.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPolicyCache } from '../../../src/policy/index.js';
import { WebIdentityTrustCache, type CachedTrustInput } from '../../../src/aws/sts/index.js';
import { ACCOUNT, claims, mintToken, NOW, PROVIDER_ARN, signToken, trustPolicy } from './helpers.js';
import { ROLE_ARN, ROLE_NAME, startLocalChain } from './plane-fixture.js';

const policies = createPolicyCache();
const allowApp = policies.compile(trustPolicy(), { kind: 'trust', name: 'r trust policy' });
const allowOther = policies.compile(trustPolicy(PROVIDER_ARN, 'system:serviceaccount:other:app'), { kind: 'trust', name: 'r trust policy' });

function input(o: { sub?: string; policy?: typeof allowApp; atMs?: number; session?: string; extra?: Record<string, unknown> } = {}): CachedTrustInput {
  const c = { ...claims({ sub: o.sub ?? 'system:serviceaccount:default:app' }), ...o.extra };
  return {
    trustPolicy: o.policy ?? allowApp,
    providerArn: PROVIDER_ARN,
    claims: c,
    audience: 'sts.amazonaws.com',
    roleArn: `arn:aws:iam::${ACCOUNT}:role/r`,
    roleSessionName: o.session ?? 's',
    now: new Date(o.atMs ?? NOW * 1000),
    traceAllows: false,
  };
}

function ev(cache: WebIdentityTrustCache, i: CachedTrustInput): ReturnType<WebIdentityTrustCache['evaluate']> {
  return cache.evaluate(i);
}

test('an allow is reused for identical inputs within the second, and only then', () => {
  const cache = new WebIdentityTrustCache();
  const first = ev(cache, input());
  assert.equal(first.allowed, true);
  assert.equal(ev(cache, input({ atMs: NOW * 1000 + 999 })), first, 'same second: the same result');
  assert.equal(cache.hits, 1);
  const later = ev(cache, input({ atMs: NOW * 1000 + 1000 }));
  assert.notEqual(later, first, 'next second: evaluated again');
  assert.equal(later.context.keys?.['aws:EpochTime'], String(NOW + 1));
  const otherSession = ev(cache, input({ atMs: NOW * 1000 + 1000, session: 't' }));
  assert.notEqual(otherSession, later);
  assert.equal(otherSession.context.keys?.['sts:RoleSessionName'], 't');
  const otherRole = ev(cache, { ...input({ atMs: NOW * 1000 + 1000 }), roleArn: `arn:aws:iam::${ACCOUNT}:role/q` });
  assert.equal(otherRole.context.resource, `arn:aws:iam::${ACCOUNT}:role/q`);
  const otherAudience = ev(cache, { ...input({ atMs: NOW * 1000 + 1000 }), audience: 'openshift' });
  assert.notEqual(otherAudience, later);
  assert.equal(cache.hits, 1);
});

test('tokens that differ only in jti and times share an allow; any claim the context reads, or a new claim name, does not', () => {
  const cache = new WebIdentityTrustCache();
  const first = ev(cache, input({ extra: { jti: 'a', iat: 1, nbf: 1, exp: 9 } }));
  assert.equal(ev(cache, input({ extra: { jti: 'b', iat: 2, nbf: 2, exp: 10 } })), first);
  assert.equal(cache.hits, 1);
  const withEmail = ev(cache, input({ extra: { email: 'x@example.com' } }));
  assert.notEqual(withEmail, first);
  assert.equal(Object.entries(withEmail.context.keys ?? {}).find(([k]) => k.endsWith(':email'))?.[1], 'x@example.com');
  const withPod = ev(cache, input({ extra: { 'kubernetes.io': { namespace: 'default' } } }));
  assert.notEqual(withPod, first);
  assert.ok(withPod.notes.some((n) => n.includes('"kubernetes.io"')), 'the note about claims that are not condition keys');
  assert.equal(cache.hits, 1);
});

test('another subject or an updated trust policy is evaluated, not answered from the memo', () => {
  const cache = new WebIdentityTrustCache();
  assert.equal(ev(cache, input()).allowed, true);
  const other = ev(cache, input({ sub: 'system:serviceaccount:other:app' }));
  assert.equal(other.allowed, false);
  const updated = ev(cache, input({ policy: allowOther }));
  assert.equal(updated.allowed, false, 'the new trust policy no longer names default:app');
  assert.equal(ev(cache, input({ sub: 'system:serviceaccount:other:app', policy: allowOther })).allowed, true);
  assert.equal(cache.hits, 0);
});

test('refusals are never memoized: each is evaluated and traced statement by statement', () => {
  const cache = new WebIdentityTrustCache();
  const a = ev(cache, input({ sub: 'system:serviceaccount:other:app' }));
  const b = ev(cache, input({ sub: 'system:serviceaccount:other:app' }));
  assert.equal(a.allowed, false);
  assert.notEqual(a, b);
  assert.equal(cache.hits, 0);
  const trace = b.actions[0]!.result.trace ?? [];
  assert.ok(trace.some((t) => !t.applied && t.reason !== null), 'the statement that did not apply, with why');
});

test('traceAllows (explain-trust) bypasses the memo', () => {
  const cache = new WebIdentityTrustCache();
  const a = ev(cache, { ...input(), traceAllows: true });
  const b = ev(cache, { ...input(), traceAllows: true });
  assert.notEqual(a, b);
  assert.equal(cache.hits, 0);
});

test('through the plane, within one second: a trust-policy update and another subject are refused and explained in full', async (t) => {
  const fixed = new Date(Math.floor(Date.now() / 1000) * 1000 + 100);
  const chain = await startLocalChain(t, { now: () => fixed });
  const now = Math.floor(fixed.getTime() / 1000);
  const post = async (token: string) => {
    const res = await fetch(chain.server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: new URLSearchParams({ Action: 'AssumeRoleWithWebIdentity', Version: '2011-06-15', RoleArn: ROLE_ARN, RoleSessionName: 'web', WebIdentityToken: token }).toString(),
    });
    return { status: res.status, body: await res.text(), requestId: res.headers.get('x-amzn-requestid')! };
  };
  const token = await mintToken(chain.key, { now });
  assert.equal((await post(token)).status, 200);
  assert.equal((await post(token)).status, 200, 'the same token again: allowed (from the memo)');
  const other = await post(signToken(chain.key, claims({ sub: 'system:serviceaccount:other:app', iat: now, nbf: now, exp: now + 600 })));
  assert.equal(other.status, 403, other.body);
  chain.plane.iam.setTrustPolicy(ROLE_NAME, trustPolicy(chain.providerArn, 'system:serviceaccount:other:app'));
  const afterUpdate = await post(token);
  assert.equal(afterUpdate.status, 403, afterUpdate.body);
  assert.match(afterUpdate.body, /<Code>AccessDenied<\/Code><Message>Not authorized to perform sts:AssumeRoleWithWebIdentity<\/Message>/);
  chain.plane.flush();
  const [denial] = chain.plane.decisions.forRequest(afterUpdate.requestId);
  assert.equal(denial?.decision, 'ImplicitDeny');
  assert.match(denial!.explanation, /oidc\.irsa\.local:sub = "system:serviceaccount:default:app"/);
  assert.match(denial!.explanation, /not applied .* #\d+ Allow: /);
});
