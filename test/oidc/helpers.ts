/**
 * Test helpers of the issuer-side tests: in-process CLI runs, openssl, temporary directories.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after } from 'node:test';
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

/** Runs openssl synchronously; throws with its stderr when it fails. */
export function openssl(args: string[], input?: string | Buffer): Buffer {
  const r = spawnSync('openssl', args, { input, maxBuffer: 16 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr.toString()}`);
  return r.stdout;
}

/** A temporary directory removed after the test file. */
export function tempDir(prefix = 'irsa-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Decodes a compact JWS segment to its exact JSON text. */
export function segment(token: string, index: 0 | 1): string {
  return Buffer.from(token.split('.')[index]!, 'base64url').toString('utf8');
}
