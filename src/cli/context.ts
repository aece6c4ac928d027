/**
 * What a command may touch of the outside world, passed in so tests can run commands in-process.
 * @module
 */
import type { Readable } from 'node:stream';

export interface Output {
  write(chunk: string): unknown;
}

export interface CliContext {
  stdout: Output;
  stderr: Output;
  stdin: Readable;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/**
 * `--signing-key` and `--issuer` of the commands that mint tokens (`token`, `exec`, `doctor --pod`), each defaulting
 * to what `source .irsa/env` (written by `irsa up`) sets: IRSA_SIGNING_KEY and IRSA_ISSUER. Empty counts as unset.
 */
export function signingKeyFlags(opts: { signingKey?: string | undefined; issuer?: string | undefined }, ctx: CliContext): { keyPath: string | undefined; issuer: string | undefined } {
  const set = (v: string | undefined): string | undefined => (v === undefined || v === '' ? undefined : v);
  return { keyPath: set(opts.signingKey) ?? set(ctx.env.IRSA_SIGNING_KEY), issuer: set(opts.issuer) ?? set(ctx.env.IRSA_ISSUER) };
}

/** The real process's streams and environment. */
export function processContext(): CliContext {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() };
}
