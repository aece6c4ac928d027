#!/usr/bin/env node
// Runs Node's test runner over test/**/*.test.ts through tsx (Node 20's --test does not expand globs).
// `npm test -- test/policy` limits the run to the files under the given paths.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function collect(path, out) {
  if (statSync(path).isDirectory()) {
    for (const entry of readdirSync(path).sort()) {
      if (entry === 'node_modules' || entry === 'fixtures' || entry === 'testdata') continue;
      collect(join(path, entry), out);
    }
  } else if (path.endsWith('.test.ts')) {
    out.push(path);
  }
  return out;
}

const roots = process.argv.slice(2);
const files = (roots.length ? roots : ['test']).flatMap((root) => collect(root, []));
if (files.length === 0) {
  console.error(`no test files under ${roots.join(', ') || 'test'}`);
  process.exit(1);
}
// A test file that never settles fails after this long instead of hanging the run (Node times each file as one
// test, so the default is 10 min); --test-force-exit then ends the runner even if a failed test left a server open.
const timeoutMs = Number(process.env.IRSA_TEST_TIMEOUT_MS ?? 600_000);
if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
  console.error(`IRSA_TEST_TIMEOUT_MS ${JSON.stringify(process.env.IRSA_TEST_TIMEOUT_MS)}: use a whole number of milliseconds`);
  process.exit(2);
}
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', `--test-timeout=${timeoutMs}`, '--test-force-exit', ...files],
  // Tests that spawn bin/irsa exercise the sources, never a stale dist/.
  { stdio: 'inherit', env: { ...process.env, IRSA_FROM_SOURCE: '1' } },
);
process.exit(result.status ?? 1);
