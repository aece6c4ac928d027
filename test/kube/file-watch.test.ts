/**
 * Watching config files the way they change in clusters: in-place edits, atomic renames, and the `..data` symlink
 * swap Kubernetes does for ConfigMap/Secret volumes; a file that fails to parse keeps the last good value.
 * The poll fallback is off here, so these pass only through the directory watch.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs, { type FSWatcher } from 'node:fs';
import { mkdtemp, mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchConfigFile, watchPath } from '../../src/kube/file-watch.js';
import { eventually } from './watch-helpers.js';

function jsonParser(content: string): { v: number } {
  if (content.trim() === '') return { v: 0 };
  const parsed = JSON.parse(content) as { v?: unknown };
  if (typeof parsed.v !== 'number') throw new Error('v must be a number');
  return { v: parsed.v };
}

describe('watchConfigFile', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'irsa-file-watch-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('loads at start, follows in-place edits and atomic renames, keeps the last good value on invalid JSON', async () => {
    const path = join(dir, 'plain.json');
    await writeFile(path, '{"v":1}');
    const results: string[] = [];
    const w = watchConfigFile({ path, parse: jsonParser, pollIntervalMs: 0, retry: { initialMs: 20, maxMs: 100 }, onReload: (r) => results.push(r.ok ? `ok:${r.value.v}` : 'error') });
    try {
      await eventually(() => w.current()?.v === 1, 'the initial load');

      await writeFile(path, '{"v":2}'); // in place
      await eventually(() => w.current()?.v === 2, 'the in-place edit');

      await writeFile(join(dir, '.plain.json.tmp'), '{"v":3}');
      await rename(join(dir, '.plain.json.tmp'), path); // atomic replace, as editors and config tools do
      await eventually(() => w.current()?.v === 3, 'the atomic rename');

      await writeFile(path, '{"v": oops');
      await eventually(() => results.includes('error'), 'the rejected content');
      assert.equal(w.current()?.v, 3, 'last good value kept');

      await writeFile(path, '{"v":4}');
      await eventually(() => w.current()?.v === 4, 'recovery with valid content');
      assert.equal(results.filter((r) => r === 'error').length, 1, 'a bad content is reported once, not on every retry');
    } finally {
      w.close();
    }
  });

  test('retries a rejected file with backoff and picks up a fix even without a new event', async () => {
    const path = join(dir, 'retry.json');
    await writeFile(path, '{"v":1}');
    let parseAllowed = false;
    const w = watchConfigFile({
      path,
      parse: (c) => {
        const v = jsonParser(c);
        if (v.v === 2 && !parseAllowed) throw new Error('not yet');
        return v;
      },
      pollIntervalMs: 0,
      retry: { initialMs: 10, maxMs: 40 },
      onReload: () => {},
    });
    try {
      await eventually(() => w.current()?.v === 1, 'initial');
      await writeFile(path, '{"v":2}');
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(w.current()?.v, 1);
      parseAllowed = true; // e.g. a dependency became available: the retry, not a file event, applies it
      await eventually(() => w.current()?.v === 2, 'the retry to succeed');
    } finally {
      w.close();
    }
  });

  test('follows the ..data symlink swap of a ConfigMap/Secret volume, and a removed file clears the value', async () => {
    const vol = join(dir, 'volume');
    await mkdir(join(vol, '..2026_11_28_15_00_00.1'), { recursive: true });
    await writeFile(join(vol, '..2026_11_28_15_00_00.1', 'config.json'), '{"v":10}');
    await symlink('..2026_11_28_15_00_00.1', join(vol, '..data'));
    await symlink('..data/config.json', join(vol, 'config.json'));
    const path = join(vol, 'config.json');
    const w = watchConfigFile({ path, parse: jsonParser, pollIntervalMs: 0, onReload: () => {} });
    try {
      await eventually(() => w.current()?.v === 10, 'the initial load through the symlinks');
      // kubelet's atomic writer: new timestamped dir, ..data_tmp -> it, rename over ..data, remove the old dir
      await mkdir(join(vol, '..2026_11_28_15_05_00.2'));
      await writeFile(join(vol, '..2026_11_28_15_05_00.2', 'config.json'), '{"v":11}');
      await symlink('..2026_11_28_15_05_00.2', join(vol, '..data_tmp'));
      await rename(join(vol, '..data_tmp'), join(vol, '..data'));
      await rm(join(vol, '..2026_11_28_15_00_00.1'), { recursive: true });
      await eventually(() => w.current()?.v === 11, 'the symlink swap');

      await rm(path);
      await eventually(() => w.current()?.v === 0, 'missing file ⇒ empty content');
    } finally {
      w.close();
    }
  });

  test('watchPath on a directory sees files added, changed and removed below it', async () => {
    const sub = join(dir, 'manifests');
    await mkdir(join(sub, 'nested'), { recursive: true });
    let calls = 0;
    const w = watchPath({ path: sub, pollIntervalMs: 0, onChange: () => void calls++ });
    try {
      await eventually(() => calls === 1, 'the initial call');
      await writeFile(join(sub, 'a.yaml'), 'a: 1');
      await eventually(() => calls >= 2, 'a new file');
      const n = calls;
      await writeFile(join(sub, 'nested', 'b.yaml'), 'b: 1');
      await eventually(() => calls > n, 'a file in a subdirectory');
    } finally {
      w.close();
    }
  });

  test('changes apply with the poll fallback enabled too', async () => {
    const path = join(dir, 'polled.json');
    await writeFile(path, '{"v":1}');
    const w = watchConfigFile({ path, parse: jsonParser, pollIntervalMs: 50, debounceMs: 10, onReload: () => {} });
    try {
      await eventually(() => w.current()?.v === 1, 'initial');
      await writeFile(path, '{"v":2}');
      await eventually(() => w.current()?.v === 2, 'the change');
    } finally {
      w.close();
    }
  });

  test('close() right after start leaves no directory watcher open (the watcher is made after an async stat)', async () => {
    const original = fs.watch;
    const open = new Set<FSWatcher>();
    const counting = (...args: Parameters<typeof fs.watch>): FSWatcher => {
      const watcher = original(...args);
      open.add(watcher);
      watcher.on('close', () => open.delete(watcher));
      return watcher;
    };
    (fs as { watch: unknown }).watch = counting;
    syncBuiltinESMExports(); // the module's named import of watch follows
    try {
      const w = watchPath({ path: join(dir, 'plain.json'), onChange: () => {}, pollIntervalMs: 0 });
      w.close();
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(open.size, 0);
    } finally {
      fs.watch = original;
      syncBuiltinESMExports();
      for (const watcher of open) watcher.close();
    }
  });

  test('a watched file is not reloaded while other files of its directory are written; its own change is', async () => {
    const shared = join(dir, 'busy');
    await mkdir(shared);
    const path = join(shared, 'service-accounts.yaml');
    await writeFile(path, 'a: 1');
    let calls = 0;
    const w = watchPath({ path, pollIntervalMs: 0, debounceMs: 10, onChange: () => void calls++ });
    try {
      await eventually(() => calls === 1, 'the initial call');
      for (let i = 0; i < 20; i++) {
        await writeFile(join(shared, 'other.log'), `line ${i}\n`, { flag: 'a' });
        await writeFile(join(shared, `neighbour-${i % 3}.yaml`), `n: ${i}`);
        await new Promise((r) => setTimeout(r, 15));
      }
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(calls, 1, 'reloaded for writes to other files');
      await writeFile(path, 'a: 2');
      await eventually(() => calls === 2, 'the watched file\'s own change');
    } finally {
      await w.close();
    }
  });

  test('close() during a reload: the reload is told (signal aborted), close waits for it, and nothing runs after', async () => {
    const path = join(dir, 'closing.json');
    await writeFile(path, '{"v":1}');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const seen: boolean[] = [];
    let calls = 0;
    const w = watchPath({
      path,
      pollIntervalMs: 20,
      debounceMs: 5,
      onChange: async (signal) => {
        calls++;
        await gate;
        seen.push(signal.aborted);
      },
    });
    await eventually(() => calls === 1, 'the reload to start');
    let closed = false;
    const closing = w.close().then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(closed, false, 'close() resolved while the reload was still running');
    release();
    await closing;
    assert.deepEqual(seen, [true]);
    await writeFile(path, '{"v":2}');
    w.trigger();
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(calls, 1, 'onChange ran after close');
  });

  test('watchConfigFile: no onReload after close, even for a change already seen', async () => {
    const path = join(dir, 'closed-config.json');
    await writeFile(path, '{"v":1}');
    const results: string[] = [];
    const w = watchConfigFile({ path, parse: jsonParser, pollIntervalMs: 20, debounceMs: 5, onReload: (r) => results.push(r.ok ? `ok:${r.value.v}` : 'error') });
    await eventually(() => w.current()?.v === 1, 'the initial load');
    await writeFile(path, '{"v":2}');
    await w.close();
    await writeFile(path, '{"v":3}');
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(!results.includes('ok:3'), `reloaded after close: ${results.join(', ')}`);
    const after = results.length;
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(results.length, after);
  });
});
