/**
 * Test helpers of the issuer-side tests: openssl, temporary directories, token segments (no CLI import, so library
 * tests do not load every command module).
 * @module
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

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
