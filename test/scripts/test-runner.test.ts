import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';

test('npm test: a test that never settles (and leaves a server open) fails after the per-test timeout instead of hanging the run', async (t) => {
  const env: NodeJS.ProcessEnv = { ...process.env, IRSA_TEST_TIMEOUT_MS: '1500' };
  delete env.NODE_TEST_CONTEXT; // set by the outer runner; the inner one would report to it instead of exiting 1
  const child = spawn(process.execPath, ['scripts/test.mjs', 'test/scripts/testdata/hangs.test.ts'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => child.kill('SIGKILL'));
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (out += s));
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((done) => child.once('close', (c) => done(c)));
  clearTimeout(killer);
  assert.equal(code, 1, out);
  assert.match(out, /timed out after 1500ms/);
});
