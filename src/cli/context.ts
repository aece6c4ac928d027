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

/** The real process's streams and environment. */
export function processContext(): CliContext {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() };
}
