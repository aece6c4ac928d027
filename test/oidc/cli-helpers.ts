/**
 * Runs `irsa` in-process with a fake context (for the CLI tests of the issuer side).
 * @module
 */
import { runCli as runCapturedCli, type CliRun } from '../cli/capture.js';

export type { CliRun };

/** The test process's environment without the `irsa up` variables some commands default from. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  if (!('IRSA_SIGNING_KEY' in extra)) delete env.IRSA_SIGNING_KEY;
  if (!('IRSA_ISSUER' in extra)) delete env.IRSA_ISSUER;
  return env;
}

/** Runs `irsa argv…` in-process with a fake context. */
export function runCli(argv: string[], cwd: string, env: NodeJS.ProcessEnv = cleanEnv()): Promise<CliRun> {
  return runCapturedCli(argv, { cwd, env });
}

