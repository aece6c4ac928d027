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
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', ...files],
  // Tests that spawn bin/irsa exercise the sources, never a stale dist/.
  { stdio: 'inherit', env: { ...process.env, IRSA_FROM_SOURCE: '1' } },
);
process.exit(result.status ?? 1);
