/**
 * Fixture-driven examples: each testdata/*.json holds policies (identity, boundary, session, resource), the AWS
 * documentation page they come from, and requests with the expected decision (and optionally the first reason).
 * To add a case, add a file. Every case also runs through the reference evaluator.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compilePolicy, evaluatePolicies, type PolicyDocument, type RequestContext } from '../../src/policy/index.js';
import { referenceEvaluate } from './reference.js';

interface Fixture {
  name: string;
  source: string;
  trust?: boolean;
  policies: { identity?: PolicyDocument[]; boundary?: PolicyDocument; session?: PolicyDocument[]; resource?: PolicyDocument[] };
  cases: Array<{ context: RequestContext; want: string; reason?: string }>;
}

const dir = join(import.meta.dirname, 'testdata');
for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
  const fx = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Fixture;
  test(`${file}: ${fx.name} (${fx.cases.length} requests)`, () => {
    const p = fx.policies;
    const resourceKind = fx.trust ? 'trust' : 'resource';
    const set = {
      identity: (p.identity ?? []).map((d, i) => compilePolicy(d, { kind: 'inline', name: `identity-${i}` })),
      boundary: p.boundary === undefined ? null : compilePolicy(p.boundary, { kind: 'boundary', name: 'boundary' }),
      session: p.session === undefined ? null : p.session.map((d, i) => compilePolicy(d, { kind: 'session', name: `session-${i}` })),
      resource: (p.resource ?? []).map((d, i) => compilePolicy(d, { kind: resourceKind, name: `resource-${i}` })),
    };
    for (const [i, c] of fx.cases.entries()) {
      const r = evaluatePolicies(set, c.context, { explain: true });
      assert.equal(r.decision, c.want, `${file} case ${i}: ${JSON.stringify(c.context)}`);
      if (c.reason !== undefined) assert.equal(r.reasons[0], c.reason, `${file} case ${i} reason`);
      const ref = referenceEvaluate({ identity: p.identity ?? [], boundary: p.boundary ?? null, session: p.session ?? null, resource: p.resource ?? [], trust: fx.trust === true }, c.context);
      assert.equal(ref, c.want, `${file} case ${i}: reference evaluator`);
    }
  });
}
