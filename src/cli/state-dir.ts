/**
 * How commands that need the local chain find it: `--state-dir`, else `$IRSA_STATE_DIR` (which `irsa up` writes to
 * STATE_DIR/env), else `.irsa` in the working directory.
 * @module
 */
import { resolve } from 'node:path';
import type { CliContext } from './context.js';

/**
 * The state directory to use.
 * @example
 * resolveStateDir(opts.stateDir, ctx) // '/home/me/project/.irsa'
 */
export function resolveStateDir(flag: string | undefined, ctx: CliContext): string {
  const fromEnv = ctx.env.IRSA_STATE_DIR;
  return resolve(ctx.cwd, flag ?? (fromEnv !== undefined && fromEnv !== '' ? fromEnv : '.irsa'));
}
