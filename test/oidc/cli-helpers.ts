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

/** Runs `irsa argv…` in-process with a fake context. */
export async function runCli(argv: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<CliRun> {
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

