/**
 * The trust-policy audit does not depend on the order of the statements: reordering a policy (and so the order in
 * which it names its OIDC providers) reports the same findings for the same statements.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { auditTrustPolicy, type PolicyStatement } from '../../src/policy/index.js';

const A = 'oidc.eks.us-west-2.amazonaws.com/id/AAAA';
const B = 'oidc.example.com/cluster';
const PROVIDER_A = `arn:aws:iam::111111111111:oidc-provider/${A}`;
const PROVIDER_A_OTHER_ACCOUNT = `arn:aws:iam::222222222222:oidc-provider/${A}`;
const PROVIDER_B = `arn:aws:iam::111111111111:oidc-provider/${B}`;

/** id, severity and Sid of every finding, sorted: what a reader compares across two orders of one policy. */
function findingsOf(statements: PolicyStatement[]): string[] {
  return auditTrustPolicy({ Version: '2012-10-17', Statement: statements })
    .findings.map((f) => `${f.id} ${f.severity} ${f.statement?.sid ?? '(document)'}`)
    .sort();
}

test('a service account no one named is found (T23) whichever provider the policy names first', () => {
  // B: no sub condition in its Allow, but a Deny restricts it (T1 is softened to info); A: only a negated sub (T4),
  // so a token for any other service account of any namespace is allowed.
  const allowA: PolicyStatement = {
    Sid: 'A', Effect: 'Allow', Principal: { Federated: PROVIDER_A }, Action: 'sts:AssumeRoleWithWebIdentity',
    Condition: { StringNotEquals: { [`${A}:sub`]: 'system:serviceaccount:x:y' }, StringEquals: { [`${A}:aud`]: 'sts.amazonaws.com' } },
  };
  const allowB: PolicyStatement = {
    Sid: 'B', Effect: 'Allow', Principal: { Federated: PROVIDER_B }, Action: 'sts:AssumeRoleWithWebIdentity',
    Condition: { StringEquals: { [`${B}:aud`]: 'sts.amazonaws.com' } },
  };
  const denyB: PolicyStatement = {
    Sid: 'D', Effect: 'Deny', Principal: { Federated: PROVIDER_B }, Action: 'sts:AssumeRoleWithWebIdentity',
    Condition: { StringNotEquals: { [`${B}:sub`]: 'system:serviceaccount:ns:sa' } },
  };
  const expected = ['T1 info B', 'T23 critical (document)', 'T4 high A'];
  assert.deepEqual(findingsOf([allowA, allowB, denyB]), expected);
  assert.deepEqual(findingsOf([allowB, denyB, allowA]), expected);
});

test('reordering the statements of a trust policy does not change its findings', () => {
  const value = fc.constantFrom('system:serviceaccount:ns:sa', 'system:serviceaccount:ns:*', 'system:serviceaccount:*', 'system:serviceaccount:other:sa2', 'sts.amazonaws.com', 'openshift');
  const key = fc.constantFrom(`${A}:sub`, `${B}:sub`, `${A}:aud`, `${B}:aud`);
  const providers = [PROVIDER_A, PROVIDER_A_OTHER_ACCOUNT, PROVIDER_B];
  const statement = fc.record({
    Effect: fc.constantFrom('Allow', 'Allow', 'Deny'),
    federated: fc.oneof(fc.constantFrom(...providers), fc.subarray(providers, { minLength: 2 })),
    condition: fc.dictionary(
      fc.constantFrom('StringEquals', 'StringLike', 'StringNotEquals', 'StringNotLike'),
      fc.dictionary(key, fc.oneof(value, fc.array(value, { minLength: 1, maxLength: 2 })), { minKeys: 1, maxKeys: 2 }),
      { minKeys: 0, maxKeys: 2 },
    ),
  });
  const policies = fc.array(statement, { minLength: 2, maxLength: 4 }).chain((generated) => {
    const statements = generated.map(({ Effect, federated, condition }, i): PolicyStatement => ({
      Sid: `S${i}`,
      Effect: Effect as 'Allow' | 'Deny',
      Principal: { Federated: federated },
      Action: 'sts:AssumeRoleWithWebIdentity',
      ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
    }));
    return fc.tuple(fc.constant(statements), fc.shuffledSubarray(statements, { minLength: statements.length, maxLength: statements.length }));
  });
  fc.assert(
    fc.property(policies, ([statements, reordered]) => {
      let before: string[];
      try {
        before = findingsOf(statements);
      } catch {
        return; // a document IAM refuses (over the size quota) is refused in any order
      }
      assert.deepEqual(findingsOf(reordered), before);
    }),
    { numRuns: 500 },
  );
});
