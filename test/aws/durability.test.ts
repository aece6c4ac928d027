/**
 * Durability: a child process creating roles, inline policies, managed policies, OIDC providers and sessions through the
 * endpoint is killed with SIGKILL at random moments; after each kill the database reopens and every write the child
 * had acknowledged (answered 200) is there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPlane, openDatabase } from '../../src/aws/index.js';

const CHILD = join(import.meta.dirname, 'durability-child.ts');

function runAndKill(file: string, prefix: string, killAfterMs: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, file, prefix], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      // the clock starts at the first acknowledged write, so a slow machine still kills mid-stream
      if (timer === undefined && out.includes('\nack ')) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    });
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (signal !== 'SIGKILL') return reject(new Error(`child exited ${code} before the kill: ${err}`));
      // only complete lines were acknowledged
      resolve(out.split('\n').slice(0, -1).filter((l) => l.startsWith('ack ')));
    });
  });
}

test('every acknowledged IAM write survives SIGKILL at random points', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'irsa-durability-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'aws.sqlite');
  const rounds = 4;
  let total = 0;
  for (let round = 0; round < rounds; round++) {
    const acks = await runAndKill(file, `k${round}`, 200 + Math.floor(Math.random() * 1500));
    total += acks.length;
    const db = openDatabase(file);
    try {
      const plane = createPlane({ db, accountId: '111122223333' });
      for (const line of acks) {
        const [, kind, name] = line.split(' ') as [string, string, string];
        switch (kind) {
          case 'role':
            assert.ok(plane.iam.getRole(name), `role ${name} acknowledged but lost`);
            break;
          case 'inline':
            assert.ok(plane.iam.getRolePolicy(name, 'p'), `inline policy of ${name} acknowledged but lost`);
            break;
          case 'policy':
            assert.ok(plane.iam.getPolicyByName(name), `policy ${name} acknowledged but lost`);
            break;
          case 'provider':
            assert.ok(plane.iam.getOidcProviderByUrl(name), `provider ${name} acknowledged but lost`);
            break;
          case 'session':
            assert.ok(plane.sessions.getSession(name), `session ${name} acknowledged but lost`);
            break;
          default:
            assert.fail(`unknown ack ${line}`);
        }
      }
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    } finally {
      db.close();
    }
  }
  t.diagnostic(`${total} acknowledged writes checked over ${rounds} kills`);
  assert.ok(total > 0, 'the child acknowledged some writes before being killed');
});
