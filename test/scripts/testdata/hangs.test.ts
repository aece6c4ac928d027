// Run only by test/scripts/test-runner.test.ts: a test that never settles and a server nobody closes.
import { createServer } from 'node:net';
import { test } from 'node:test';

test('never settles', async () => {
  createServer().listen(0, '127.0.0.1');
  await new Promise(() => {});
});
