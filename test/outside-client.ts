/**
 * Tests that drive an outside client (python3 with botocore or moto, the aws CLI, openssl) use the one on PATH. Outside
 * CI a missing client skips the test with its reason printed; under `CI=true` it fails, so CI always runs the test.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';

/** `null` when `cmd args…` exits 0 here, else why it is not usable. */
export function clientUnavailable(cmd: string, args: string[]): string | null {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
  return r.status === 0 ? null : `${cmd} ${args.join(' ')} is not usable here (${(r.error?.message ?? r.stderr ?? '').trim().split('\n').pop()})`;
}

/** Skips the test (outside CI) or fails it (`CI=true`) when `reason` is set; returns whether the test must stop. */
export function skipOrFail(t: TestContext, reason: string | null): boolean {
  if (reason === null) return false;
  if (process.env.CI === 'true') assert.fail(`${reason}; CI needs it`);
  t.skip(reason);
  return true;
}
