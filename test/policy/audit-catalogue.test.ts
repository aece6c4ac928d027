/**
 * The audit rule catalogue users read (docs/policy.md, "Audit rule catalogue") lists exactly the rules the auditor
 * checks, each with its stable name and default severity.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { AUDIT_RULES } from '../../src/policy/index.js';

const DOC = new URL('../../docs/policy.md', import.meta.url);

/** The rows of the catalogue table: | `T1` | `NO_SUB_CONDITION` | critical | summary | */
function documentedRules(): Array<{ id: string; rule: string; severity: string; summary: string }> {
  const text = readFileSync(DOC, 'utf8');
  const start = text.indexOf('#### Audit rule catalogue');
  assert.notEqual(start, -1, 'docs/policy.md has an "Audit rule catalogue" section');
  const section = text.slice(start, text.indexOf('\n#', start + 1));
  return [...section.matchAll(/^\| `(T\d+)` \| `([A-Z0-9_]+)` \| (\w+) \| (.*) \|$/gm)].map(([, id, rule, severity, summary]) => ({
    id: id!, rule: rule!, severity: severity!, summary: summary!,
  }));
}

test('docs/policy.md lists every audit rule with its name, severity and summary, and no other', () => {
  const documented = documentedRules();
  assert.deepEqual(
    documented.map((r) => r.id),
    AUDIT_RULES.map((r) => r.id),
    'the catalogue table lists the rule ids of AUDIT_RULES, in the same order',
  );
  for (const rule of AUDIT_RULES) {
    assert.deepEqual(documented.find((r) => r.id === rule.id), { id: rule.id, rule: rule.rule, severity: rule.severity, summary: rule.summary });
  }
});
