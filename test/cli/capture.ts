/**
 * Runs `irsa` in-process with a fake context that captures what commands write.
 * @module
 */
import { Readable } from 'node:stream';
import type { CliContext } from '../../src/cli/context.js';
import { main } from '../../src/cli/main.js';

export interface CaptureOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Text the command reads from standard input. */
  stdin?: string;
}

/** A context whose stdout and stderr are captured; `out()` and `err()` return what was written so far. */
export function captureContext(options: CaptureOptions = {}): { ctx: CliContext; out(): string; err(): string } {
  let out = '';
  let err = '';
  const ctx: CliContext = {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    stdin: Readable.from(options.stdin === undefined ? [] : [options.stdin]),
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
  };
  return { ctx, out: () => out, err: () => err };
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `irsa argv…` in-process and returns its exit code and output. */
export async function runCli(argv: string[], options: CaptureOptions = {}): Promise<CliRun> {
  const capture = captureContext(options);
  const code = await main(argv, capture.ctx);
  return { code, stdout: capture.out(), stderr: capture.err() };
}
