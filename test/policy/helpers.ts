/** Shared helpers for the policy tests: one-statement policies, decisions from both engines. */
import assert from 'node:assert/strict';
import { compilePolicy, evaluatePolicies, type ContextKeyValue, type PolicyDocument, type PolicyStatement, type RequestContext } from '../../src/policy/index.js';
import { referenceEvaluate } from './reference.js';

/** A managed identity policy from statements. */
export function doc(...statements: PolicyStatement[]): PolicyDocument {
  return { Version: '2012-10-17', Statement: statements };
}

/** Decision of the compiled engine, asserted equal to the reference oracle's. */
export function decide(policies: PolicyDocument[], ctx: RequestContext): string {
  const compiled = policies.map((p, i) => compilePolicy(p, { kind: 'managed', name: `p${i}` }));
  const got = evaluatePolicies({ identity: compiled }, ctx).decision;
  const oracle = referenceEvaluate({ identity: policies }, ctx);
  assert.equal(got, oracle, `compiled ${got} vs reference ${oracle} for ${JSON.stringify(policies)} / ${JSON.stringify(ctx)}`);
  return got;
}

/** Whether an Allow statement with one condition allows a request carrying `keys`. */
export function condAllows(op: string, key: string, values: unknown, keys: Record<string, ContextKeyValue>): boolean {
  const d = doc({
    Effect: 'Allow',
    Action: 's3:GetObject',
    Resource: '*',
    Condition: { [op]: { [key]: values as string } },
  });
  return decide([d], { action: 's3:GetObject', resource: 'arn:aws:s3:::b/k', keys }) === 'Allow';
}
