/**
 * Property tests (fast-check): the compiled engine agrees with the reference evaluator on random policies and
 * requests; an Allow never survives a matching explicit Deny; adding a statement never turns ExplicitDeny into
 * Allow; adding an Allow statement never turns Allow into a deny.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  auditTrustPolicy,
  buildIrsaTrustPolicy,
  buildWebIdentityContext,
  compilePolicy,
  evaluatePolicies,
  type PolicyDocument,
  type PolicyStatement,
  type RequestContext,
} from '../../src/policy/index.js';
import { referenceEvaluate } from './reference.js';

const ACTIONS = ['s3:GetObject', 's3:PutObject', 'iam:GetRole', 'sts:GetCallerIdentity', 'S3:listbucket'];
const ACTION_PATTERNS = ['*', 's3:*', 's3:Get*', 'iam:Get?ole', 's3:GetObject', 'S3:PUTOBJECT', 'sts:*', 's3:*Bucket', 'iam:*'];
const RESOURCES = ['arn:aws:s3:::b/k', 'arn:aws:s3:::b', 'arn:aws:s3:::c/k', 'arn:aws:iam::111122223333:role/x', 'arn:aws:s3:::b/alice/k', 'arn:aws:s3:::b/a:b/c'];
const RESOURCE_PATTERNS = ['*', 'arn:aws:s3:::b/*', 'arn:aws:s3:::b', 'arn:aws:s3:::*/k', 'arn:aws:iam::*:role/*', 'arn:aws:s3:::b/${aws:username}/*', 'arn:aws:s3:::b?', 'arn:aws:sns:*:*:*', "arn:aws:s3:::${aws:PrincipalTag/team, 'b'}/*"];
const KEYS = ['k1', 'aws:TagKeys', 'aws:SourceIp', 'aws:username', 'n', 'd', 'aws:SecureTransport', 'aws:SourceArn'];
const VALUES = ['a', 'b', 'A', 'a*', '10', '5', 'true', 'false', '10.0.0.1', '192.168.1.1', '2020-01-01T00:00:00Z', '2021-06-01T00:00:00Z', 'alice', 'arn:aws:sns:us-east-1:1:t', ''];
const POLICY_VALUES = [...VALUES, '10.0.0.0/8', '${aws:username}', 'a?', '*', 'arn:aws:sns:*:1:*', '1e1', 'TRUE'];
const OPERATORS = [
  'StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase', 'StringLike', 'StringNotLike',
  'NumericEquals', 'NumericNotEquals', 'NumericLessThan', 'NumericGreaterThanEquals', 'DateEquals', 'DateLessThan', 'DateGreaterThan',
  'Bool', 'BinaryEquals', 'IpAddress', 'NotIpAddress', 'ArnLike', 'ArnNotEquals', 'Null',
];
const OPERATOR = fc.oneof(
  fc.constantFrom(...OPERATORS),
  fc.tuple(fc.constantFrom('', 'ForAnyValue:', 'ForAllValues:'), fc.constantFrom(...OPERATORS.filter((o) => o !== 'Null')), fc.boolean())
    .map(([set, op, ifExists]) => `${set}${op}${ifExists ? 'IfExists' : ''}`),
);

const condition = fc.dictionary(OPERATOR, fc.dictionary(fc.constantFrom(...KEYS), fc.oneof(fc.constantFrom(...POLICY_VALUES), fc.array(fc.constantFrom(...POLICY_VALUES), { maxLength: 3 })), { maxKeys: 2 }), { maxKeys: 2 })
  .map((c) => {
    // Null takes true/false, Date operators dates (IAM rejects other Date values)
    for (const [op, block] of Object.entries(c)) {
      for (const k of Object.keys(block)) {
        if (op === 'Null') block[k] = k.length % 2 === 0 ? 'true' : 'false';
        else if (op.includes('Date')) block[k] = k.length % 2 === 0 ? '2020-01-01T00:00:00Z' : ['1593475200', '2021-01-01'];
      }
    }
    return c;
  });

const statement: fc.Arbitrary<PolicyStatement> = fc.record({
  Effect: fc.constantFrom('Allow' as const, 'Deny' as const),
  notAction: fc.boolean(),
  actions: fc.array(fc.constantFrom(...ACTION_PATTERNS), { minLength: 1, maxLength: 3 }),
  notResource: fc.boolean(),
  resources: fc.array(fc.constantFrom(...RESOURCE_PATTERNS), { minLength: 1, maxLength: 2 }),
  condition: fc.option(condition, { nil: undefined }),
}).map((s) => {
  const st: PolicyStatement = { Effect: s.Effect };
  if (s.notAction && s.actions.length === 1) st.NotAction = s.actions;
  else st.Action = s.actions;
  if (s.notResource && s.resources.length === 1) st.NotResource = s.resources;
  else st.Resource = s.resources;
  if (s.condition !== undefined && Object.keys(s.condition).length > 0) st.Condition = s.condition;
  return st;
});

const policy = fc.array(statement, { minLength: 1, maxLength: 4 }).map((Statement): PolicyDocument => ({ Version: '2012-10-17', Statement }));

const context: fc.Arbitrary<RequestContext> = fc.record({
  action: fc.constantFrom(...ACTIONS),
  resource: fc.constantFrom(...RESOURCES),
  keys: fc.dictionary(fc.constantFrom(...KEYS), fc.oneof(fc.constantFrom(...VALUES), fc.array(fc.constantFrom(...VALUES), { maxLength: 3 })), { maxKeys: 5 }),
});

function compiled(docs: PolicyDocument[]) {
  return docs.map((d, i) => compilePolicy(d, { kind: 'managed', name: `p${i}`, skipSizeCheck: true }));
}

test('compiled evaluation equals the reference evaluator (identity, boundary, session)', () => {
  fc.assert(
    fc.property(fc.array(policy, { minLength: 1, maxLength: 3 }), fc.option(policy, { nil: null }), fc.option(policy, { nil: null }), context, (ids, boundary, session, ctx) => {
      const got = evaluatePolicies({
        identity: compiled(ids),
        boundary: boundary === null ? null : compiled([boundary])[0]!,
        session: session === null ? null : compiled([session]),
      }, ctx).decision;
      const want = referenceEvaluate({ identity: ids, boundary, session: session === null ? null : [session] }, ctx);
      assert.equal(got, want);
    }),
    { numRuns: 1500 },
  );
});

/** A Deny statement built to match the request: exact action and resource, a condition that holds. */
function matchingDeny(ctx: RequestContext): PolicyStatement {
  const st: PolicyStatement = { Effect: 'Deny', Action: ctx.action, Resource: ctx.resource ?? '*' };
  const present = Object.entries(ctx.keys ?? {}).find(([, v]) => !Array.isArray(v));
  if (present) st.Condition = { StringEquals: { [present[0]]: String(present[1]).replace(/\$/g, '${$}') } };
  return st;
}

test('an Allow never survives adding a matching explicit Deny (in any policy of the set)', () => {
  fc.assert(
    fc.property(fc.array(policy, { minLength: 1, maxLength: 3 }), context, fc.nat(), (ids, ctx, which) => {
      const before = evaluatePolicies({ identity: compiled(ids) }, ctx).decision;
      const target = which % ids.length;
      const withDeny = ids.map((d, i) => (i === target ? { ...d, Statement: [...(d.Statement as PolicyStatement[]), matchingDeny(ctx)] } : d));
      const after = evaluatePolicies({ identity: compiled(withDeny) }, ctx);
      assert.equal(after.decision, 'ExplicitDeny', `before: ${before}`);
    }),
    { numRuns: 500 },
  );
});

test('adding any statement never turns ExplicitDeny into Allow; adding an Allow never turns Allow into a deny', () => {
  fc.assert(
    fc.property(policy, statement, context, (p, extra, ctx) => {
      const before = evaluatePolicies({ identity: compiled([p]) }, ctx).decision;
      const after = evaluatePolicies({ identity: compiled([{ ...p, Statement: [...(p.Statement as PolicyStatement[]), extra] }]) }, ctx).decision;
      if (before === 'ExplicitDeny') assert.equal(after, 'ExplicitDeny');
      if (before === 'Allow' && extra.Effect === 'Allow') assert.equal(after, 'Allow');
    }),
    { numRuns: 1500 },
  );
});

test('explain does not change the decision', () => {
  fc.assert(
    fc.property(fc.array(policy, { minLength: 1, maxLength: 2 }), context, (ids, ctx) => {
      const set = { identity: compiled(ids) };
      const a = evaluatePolicies(set, ctx);
      const b = evaluatePolicies(set, ctx, { explain: true });
      assert.equal(a.decision, b.decision);
      assert.deepEqual(a.matchedStatements, b.matchedStatements);
      assert.equal(b.trace!.length, ids.reduce((n, d) => n + (d.Statement as PolicyStatement[]).length, 0));
      assert.equal(b.trace!.filter((t) => t.applied).length, b.matchedStatements.length);
    }),
    { numRuns: 300 },
  );
});

test('the generated IRSA trust policy passes its own audit and admits exactly its service account', () => {
  const label = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?$/);
  const provider = 'arn:aws:iam::111122223333:oidc-provider/oidc.example.com/id/ABC';
  fc.assert(
    fc.property(label, label, label, (ns, sa, otherSa) => {
      const doc = buildIrsaTrustPolicy({ providerArn: provider, namespace: ns, serviceAccount: sa });
      assert.deepEqual(auditTrustPolicy(doc, { clientIds: ['sts.amazonaws.com'], providerArn: provider }).findings, []);
      const trust = compilePolicy(doc, { kind: 'trust', name: 'trust' });
      const decide = (sub: string, aud: string) =>
        evaluatePolicies({ resource: [trust] }, buildWebIdentityContext({ providerArn: provider, claims: { sub, aud: [aud] } }).context).decision;
      assert.equal(decide(`system:serviceaccount:${ns}:${sa}`, 'sts.amazonaws.com'), 'Allow');
      assert.equal(decide(`system:serviceaccount:${ns}:${sa}`, 'openshift'), 'ImplicitDeny');
      if (otherSa !== sa) assert.equal(decide(`system:serviceaccount:${ns}:${otherSa}`, 'sts.amazonaws.com'), 'ImplicitDeny');
    }),
    { numRuns: 200 },
  );
});
