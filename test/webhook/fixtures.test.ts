/**
 * Conformance: every upstream fixture in test/fixtures/eks-webhook (Apache-2.0, aws/amazon-eks-pod-identity-webhook)
 * and our own cases in test/webhook/testdata, same operation list and same patched pod (modulo Go artefacts).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { listFixtureFiles, loadFixture, patchedPods, runFixture } from './fixture-harness.js';
import { goEncodePatch } from './go-json.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../..');
const upstreamDir = resolve(repoRoot, 'test/fixtures/eks-webhook');
const ownDir = join(here, 'testdata');

test('the upstream fixtures are present (test/fixtures/eks-webhook)', () => {
  assert.ok(existsSync(upstreamDir), `missing ${upstreamDir}: the conformance fixtures must be checked out beside the repository`);
  assert.ok(listFixtureFiles(upstreamDir).length >= 18);
});

function rawExpected(file: string): string {
  const line = readFileSync(file, 'utf8').split('\n').find((l) => l.includes('testing.eks.amazonaws.com/expectedPatch:'))!;
  const quoted = line.slice(line.indexOf(':') + 1).trim();
  return quoted.slice(1, -1).replace(/''/g, "'"); // a single-quoted YAML scalar
}

for (const [label, dir] of [['upstream', upstreamDir], ['own', ownDir]] as const) {
  if (!existsSync(dir)) continue; // reported by the test above
  for (const file of listFixtureFiles(dir)) {
    const name = `${label}: ${relative(dir, file)}`;
    test(name, (t) => {
      const c = loadFixture(file);
      if (c.skip) {
        t.skip('the fixture sets testing.eks.amazonaws.com/skip: true (upstream skips it too)');
        return;
      }
      const { patch } = runFixture(c);
      assert.deepEqual(
        patch.map((op) => `${op.op} ${op.path}`),
        c.expectedPatch.map((op) => `${op.op} ${op.path}`),
        'operation list (op, path, order)',
      );
      const { actual, expected } = patchedPods(c, patch);
      assert.deepEqual(actual, expected);
      // Upstream's own check: byte-for-byte equality once our patch goes through a Go-order encoder.
      if (label === 'upstream') assert.equal(goEncodePatch(patch), JSON.stringify(c.expectedPatch) === '[]' ? '[]' : rawExpected(file), 'Go serialisation');
    });
  }
}
