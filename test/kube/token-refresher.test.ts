import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  TokenRefresher,
  tokenNeedsRefresh,
  tokenRefreshAt,
  writeTokenFileAtomic,
  type IssuedToken,
  type RefreshTimers,
} from '../../src/kube/index.js';
import { tempDir } from '../oidc/helpers.js';

const dir = tempDir();
const T0 = Date.parse('2025-01-01T00:00:00Z');

function token(issuedAtMs: number, expirationSeconds: number, text = 't'): IssuedToken {
  return { token: text, issuedAt: new Date(issuedAtMs), expiresAt: new Date(issuedAtMs + expirationSeconds * 1000), expirationSeconds };
}

describe('kubelet refresh policy (spec 1.8)', () => {
  test('refresh at 80 % of the lifetime, at 24 h for long lifetimes, minus jitter', () => {
    assert.equal(tokenRefreshAt(token(T0, 3600), 0).getTime(), T0 + 2880_000);
    assert.equal(tokenRefreshAt(token(T0, 86400), 0).getTime(), T0 + 69120_000);
    assert.equal(tokenRefreshAt(token(T0, 7 * 86400), 0).getTime(), T0 + 86400_000);
    assert.equal(tokenRefreshAt(token(T0, 3600), 5000).getTime(), T0 + 2875_000);
  });

  test('needs refresh past that time or when the clock went backwards', () => {
    const t = token(T0, 3600);
    assert.equal(tokenNeedsRefresh(t, new Date(T0 + 1000), 0), false);
    assert.equal(tokenNeedsRefresh(t, new Date(T0 + 2880_000), 0), false);
    assert.equal(tokenNeedsRefresh(t, new Date(T0 + 2880_001), 0), true);
    assert.equal(tokenNeedsRefresh(t, new Date(T0 + 2870_001), 10_000), true);
    assert.equal(tokenNeedsRefresh(t, new Date(T0 - 1), 0), true);
  });
});

describe('writeTokenFileAtomic', () => {
  test('replaces the file by rename (no partial content, no temp files left), mode 0600', async () => {
    const path = join(dir, 'atomic', 'token');
    await writeTokenFileAtomic(path, 'first');
    const before = statSync(path).ino;
    await writeTokenFileAtomic(path, 'second');
    assert.equal(readFileSync(path, 'utf8'), 'second');
    assert.notEqual(statSync(path).ino, before); // a new inode: readers holding the old file never see a mix
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(join(dir, 'atomic')), ['token']);
  });
});

/** A fake clock with timers that fire when the clock is advanced. */
function fakeTime(start: number): { now: () => Date; timers: RefreshTimers; advance(ms: number): Promise<void>; pending(): number } {
  let now = start;
  let seq = 0;
  const queue = new Map<number, { at: number; fn: () => Promise<void> }>();
  return {
    now: () => new Date(now),
    timers: {
      setTimeout: (fn: () => Promise<void>, ms: number) => {
        const id = ++seq;
        queue.set(id, { at: now + ms, fn });
        return id;
      },
      clearTimeout: (id) => {
        queue.delete(id as number);
      },
    },
    async advance(ms) {
      const end = now + ms;
      for (;;) {
        const due = [...queue.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        queue.delete(due[0]);
        now = Math.max(now, due[1].at);
        await due[1].fn(); // the refresh round, file I/O included
      }
      now = end;
    },
    pending: () => queue.size,
  };
}

describe('TokenRefresher', () => {
  test('writes on start, rewrites after 80 % of the lifetime, stops cleanly', async () => {
    const time = fakeTime(T0);
    const path = join(dir, 'r1', 'token');
    let n = 0;
    const refresher = new TokenRefresher({
      files: [{ path, mint: async () => token(time.now().getTime(), 600, `token-${++n}`) }],
      now: time.now,
      timers: time.timers,
      random: () => 0,
    });
    await refresher.start();
    assert.equal(readFileSync(path, 'utf8'), 'token-1');
    await time.advance(479_000);
    assert.equal(readFileSync(path, 'utf8'), 'token-1');
    await time.advance(2_000); // past 480 s
    assert.equal(readFileSync(path, 'utf8'), 'token-2');
    assert.equal(refresher.states()[0]!.refreshes, 2);
    await time.advance(481_000);
    assert.equal(readFileSync(path, 'utf8'), 'token-3');
    refresher.stop();
    assert.equal(time.pending(), 0);
    await time.advance(10_000_000);
    assert.equal(readFileSync(path, 'utf8'), 'token-3');
  });

  test('a failed refresh keeps the old token, reports the error and retries', async () => {
    const time = fakeTime(T0);
    const path = join(dir, 'r2', 'token');
    let fail = false;
    let n = 0;
    const errors: string[] = [];
    const refresher = new TokenRefresher({
      files: [{ path, mint: async () => {
        if (fail) throw new Error('signer down');
        return token(time.now().getTime(), 1000, `token-${++n}`);
      } }],
      now: time.now,
      timers: time.timers,
      random: () => 0,
      onError: (_p, err) => errors.push((err as Error).message),
    });
    await refresher.start();
    fail = true;
    await time.advance(801_000);
    assert.equal(readFileSync(path, 'utf8'), 'token-1');
    assert.ok(errors.length >= 1);
    assert.equal(errors[0], 'signer down');
    fail = false;
    await time.advance(2_000);
    assert.equal(readFileSync(path, 'utf8'), 'token-2');
    refresher.stop();
  });

  test('stop() waits for a refresh in progress, which then writes nothing (irsa exec removes the directory next)', async () => {
    const time = fakeTime(T0);
    const root = join(dir, 'r4');
    const path = join(root, 'vol', 'token');
    let release: () => void = () => {};
    let block = false;
    let n = 0;
    const refresher = new TokenRefresher({
      files: [{ path, mint: async () => {
        if (block) await new Promise<void>((done) => { release = done; });
        return token(time.now().getTime(), 600, `token-${++n}`);
      } }],
      now: time.now,
      timers: time.timers,
      random: () => 0,
    });
    await refresher.start();
    block = true;
    const round = time.advance(481_000); // the refresh round starts and waits in mint
    await new Promise((done) => setImmediate(done));
    let stopped = false;
    const stopping = refresher.stop().then(() => { stopped = true; });
    await new Promise((done) => setImmediate(done));
    assert.equal(stopped, false, 'stop() resolves only after the refresh in progress settled');
    release();
    await stopping;
    await round;
    assert.equal(readFileSync(path, 'utf8'), 'token-1');
    rmSync(root, { recursive: true, force: true });
    await new Promise((done) => setTimeout(done, 20));
    assert.equal(existsSync(root), false, 'no write recreated the removed directory');
  });

  test('stop() resolves even when the refresh in progress fails and onError throws', async () => {
    const time = fakeTime(T0);
    let release: () => void = () => {};
    let fail = false;
    const refresher = new TokenRefresher({
      files: [{ path: join(dir, 'r5', 'token'), mint: async () => {
        if (fail) {
          await new Promise<void>((done) => { release = done; });
          throw new Error('signer down');
        }
        return token(time.now().getTime(), 600);
      } }],
      now: time.now,
      timers: time.timers,
      random: () => 0,
      onError: () => {
        throw new Error('log sink broken');
      },
    });
    await refresher.start();
    fail = true;
    time.advance(481_000).catch(() => {});
    await new Promise((done) => setImmediate(done));
    const stopping = refresher.stop();
    release();
    await stopping; // rejects without the fix, and irsa exec would skip removing its directory
  });

  test('jitter (at most 10 s) brings the refresh forward', async () => {
    const time = fakeTime(T0);
    const refresher = new TokenRefresher({
      files: [{ path: join(dir, 'r3', 'token'), mint: async () => token(time.now().getTime(), 3600) }],
      now: time.now,
      timers: time.timers,
      random: () => 0.5,
    });
    await refresher.start();
    assert.equal(refresher.states()[0]!.refreshAt!.getTime(), T0 + 2880_000 - 5_000);
    refresher.stop();
  });
});
