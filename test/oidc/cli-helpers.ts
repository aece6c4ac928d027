/**
 * Runs `irsa` in-process with a fake context (for the CLI tests of the issuer side).
 * @module
 */
import { Readable } from 'node:stream';
import type { CliContext } from '../../src/cli/context.js';
import { main } from '../../src/cli/main.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The test process's environment without the `irsa up` variables some commands default from. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  if (!('IRSA_SIGNING_KEY' in extra)) delete env.IRSA_SIGNING_KEY;
  if (!('IRSA_ISSUER' in extra)) delete env.IRSA_ISSUER;
  return env;
}

/** Runs `irsa argv…` in-process with a fake context. */
export async function runCli(argv: string[], cwd: string, env: NodeJS.ProcessEnv = cleanEnv()): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const ctx: CliContext = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    stdin: Readable.from([]),
    env,
    cwd,
  };
  const code = await main(argv, ctx);
  return { code, stdout, stderr };
}

