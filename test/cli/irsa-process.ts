/**
 * Runs ./bin/irsa as a user would (a separate process, from the sources), for the tests where the process's exit
 * code, its one-line stderr and what it leaves on disk are what matter.
 * @module
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { join } from 'node:path';

export const REPO = join(import.meta.dirname, '..', '..');
export const IRSA = join(REPO, 'bin', 'irsa');

export interface IrsaResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of the test process without the variables `.irsa/env` sets. */
export function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, IRSA_FROM_SOURCE: '1' };
  for (const name of Object.keys(env)) if (name.startsWith('IRSA_') && name !== 'IRSA_FROM_SOURCE') delete env[name];
  delete env.NODE_TEST_CONTEXT;
  return { ...env, ...extra };
}

/** Runs `irsa argv…` to completion (60 s at most) and returns its exit code and output. */
export function irsa(argv: string[], options: SpawnSyncOptions & { env?: NodeJS.ProcessEnv } = {}): IrsaResult {
  const r = spawnSync(process.execPath, [IRSA, ...argv], { encoding: 'utf8', timeout: 60_000, cwd: REPO, ...options, env: options.env ?? userEnv() });
  return { code: r.status, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

/** Asserts-friendly: the stderr is exactly one line (no stack trace). */
export function oneLine(stderr: string): boolean {
  return stderr.trim().split('\n').length === 1;
}
