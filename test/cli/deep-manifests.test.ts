/**
 * Issue 8 item 1 for the CLI: a pod nested 5,000 or 50,000 levels deep is a one-line error with exit 2 from
 * `irsa inject` and `irsa exec` (it was a stack overflow, exit 70).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MAX_JSON_DEPTH } from '../../src/webhook/json-depth.js';
import { runCli } from './capture.js';

const SA = 'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app, namespace: default, annotations: {eks.amazonaws.com/role-arn: "arn:aws:iam::111122223333:role/r"}}\n';

function deepPod(depth: number): string {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { serviceAccountName: 'app', containers: [{ name: 'c', image: 'x', args: 'DEEP' }] } };
  return JSON.stringify(pod).replace('"DEEP"', `${'['.repeat(depth)}${']'.repeat(depth)}`);
}

for (const depth of [5_000, 50_000]) {
  test(`a ${depth}-deep pod: irsa inject and irsa exec exit 2 with one line naming the limit`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'irsa-deep-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'sa.yaml'), SA);
    writeFileSync(join(dir, 'pod.json'), deepPod(depth));
    for (const argv of [['inject', '-f', 'pod.json', '--service-accounts', 'sa.yaml'], ['exec', '--pod', 'pod.json', '--service-accounts', 'sa.yaml', '--', process.execPath, '-e', '']]) {
      const run = await runCli(argv, { cwd: dir });
      assert.equal(run.code, 2, `${argv[0]}: ${run.stderr}`);
      assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
      assert.match(run.stderr, new RegExp(`pod\\.json, document 1: nests arrays/objects deeper than ${MAX_JSON_DEPTH} levels`));
    }
  });
}

test('a pod within the limit is still injected', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'irsa-deep-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'sa.yaml'), SA);
  writeFileSync(join(dir, 'pod.json'), deepPod(MAX_JSON_DEPTH - 5));
  const run = await runCli(['inject', '-f', 'pod.json', '--service-accounts', 'sa.yaml'], { cwd: dir });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /AWS_ROLE_ARN/);
});
