/**
 * Watching files the webhook reads (the Pod Identity config file, ServiceAccount manifests, a ConfigMap file):
 * the *directory* is watched, so atomic renames and Kubernetes' `..data` symlink swaps (ConfigMap and Secret volumes)
 * are seen — upstream watches the file's own path and misses the swap. A slow poll backs the watcher up
 * (inotify can be unavailable or exhausted), and a config that fails to parse keeps the last good one.
 * @module
 */
import { watch as fsWatch, type FSWatcher } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface WatchPathOptions {
  /** A file (its directory is watched) or a directory (watched recursively). */
  path: string;
  /**
   * Called once at start and after each change (debounced; never concurrently with itself). `signal` aborts when the
   * watch is closed: a call that awaited something must check it before applying what it read.
   */
  onChange: (signal: AbortSignal) => void | Promise<void>;
  /** Quiet time before `onChange` after the last event; default 50 ms. */
  debounceMs?: number;
  /** Poll interval comparing file stats, 0 = off; default 5000 ms. */
  pollIntervalMs?: number;
}

/** A running watch. */
export interface PathWatch {
  /** Schedules `onChange` as if an event had arrived. */
  trigger(): void;
  /** Resolves when no `onChange` is pending or running. */
  settled(): Promise<void>;
  /** Stops watching: no `onChange` starts afterwards; resolves once a running one has returned. */
  close(): Promise<void>;
}

/**
 * Watches a file or a directory of files. For a file, an event naming the file itself schedules `onChange`; an event
 * about another entry of its directory (another file being written, a `..data` swap) does only when the file's
 * stats changed, so a busy directory does not reload the file over and over.
 * @example
 * const w = watchPath({ path: '/etc/eks/pod-identity/config.json', onChange: () => reload() });
 */
export function watchPath(options: WatchPathOptions): PathWatch {
  const debounceMs = options.debounceMs ?? 50;
  const pollMs = options.pollIntervalMs ?? 5000;
  let closed = false;
  const abort = new AbortController();
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  let checkTimer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let lastSignature = '';
  let idle: Array<() => void> = [];

  const isDirectory = async (): Promise<boolean> => {
    try {
      return (await stat(options.path)).isDirectory();
    } catch {
      return false;
    }
  };

  async function run(): Promise<void> {
    do {
      again = false;
      lastSignature = await signature(options.path);
      if (closed) break;
      try {
        await options.onChange(abort.signal);
      } catch {
        // onChange reports its own errors; a watcher never dies of them
      }
    } while (again && !closed);
    running = undefined;
    if (timer === undefined) {
      const waiters = idle;
      idle = [];
      for (const w of waiters) w();
    }
  }

  function trigger(): void {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      if (running) {
        again = true;
        return;
      }
      running = run();
    }, debounceMs);
  }

  /** Another entry of the watched file's directory changed: reload only if the file (or its symlink target) did. */
  function checkThenTrigger(): void {
    if (closed || checkTimer !== undefined) return;
    checkTimer = setTimeout(() => {
      void signature(options.path).then((now) => {
        checkTimer = undefined;
        if (!closed && now !== lastSignature) trigger();
      });
    }, debounceMs);
  }

  async function startWatcher(): Promise<void> {
    if (closed || watcher) return;
    const isDir = await isDirectory();
    const dir = isDir ? options.path : dirname(options.path);
    const name = isDir ? undefined : basename(options.path);
    if (closed || watcher) return; // closed (or started by another caller) during the stat
    try {
      watcher = fsWatch(dir, { persistent: false, recursive: isDir }, (_event, filename) => {
        if (name === undefined || filename === null || String(filename) === name) trigger();
        else checkThenTrigger();
      });
      watcher.on('error', () => {
        watcher?.close();
        watcher = undefined; // re-created by the next poll
        trigger();
      });
    } catch {
      watcher = undefined; // directory missing: the poll keeps looking
    }
  }

  const poll =
    pollMs > 0
      ? setInterval(() => {
          void (async () => {
            if (closed) return;
            await startWatcher();
            if (!running && timer === undefined && (await signature(options.path)) !== lastSignature) trigger();
          })();
        }, pollMs)
      : undefined;
  poll?.unref();

  void startWatcher();
  trigger();

  return {
    trigger,
    settled: () =>
      running || timer !== undefined ? new Promise<void>((resolve) => idle.push(resolve)) : Promise.resolve(),
    close() {
      closed = true;
      abort.abort();
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (checkTimer) clearTimeout(checkTimer);
      if (poll) clearInterval(poll);
      watcher?.close();
      watcher = undefined;
      const waiters = idle;
      idle = [];
      for (const w of waiters) w();
      return running ?? Promise.resolve();
    },
  };
}

/** Stats of a file (through symlinks) or of every file under a directory: changes when content is replaced. */
async function signature(path: string): Promise<string> {
  try {
    const s = await stat(path);
    if (!s.isDirectory()) return `${s.ino}:${s.size}:${s.mtimeMs}`;
    const parts: string[] = [];
    for (const entry of (await readdir(path, { recursive: true })).sort()) {
      try {
        const e = await stat(join(path, entry));
        if (e.isFile()) parts.push(`${entry}=${e.ino}:${e.size}:${e.mtimeMs}`);
      } catch {
        // vanished between readdir and stat
      }
    }
    return parts.join('|');
  } catch {
    return 'missing';
  }
}

/** Outcome of one reload of a watched config file. */
export type ConfigReload<T> = { ok: true; value: T; content: string } | { ok: false; error: Error };

export interface WatchConfigFileOptions<T> {
  path: string;
  /** Pure parser: throws on invalid content (the last good value is kept). Missing file ⇒ `''`. */
  parse: (content: string) => T;
  /** Called after each reload attempt whose content differs from the last applied one. */
  onReload: (result: ConfigReload<T>) => void;
  /** Retry delays after a failed parse: first and cap, doubling (upstream: 10 ms .. 5 min). */
  retry?: { initialMs?: number; maxMs?: number };
  debounceMs?: number;
  pollIntervalMs?: number;
}

export interface ConfigFileWatch<T> {
  /** The last successfully parsed value (undefined before the first good load). */
  current(): T | undefined;
  /** Resolves when pending reloads are done (tests). */
  settled(): Promise<void>;
  /** Stops watching: no `onReload` afterwards; resolves once a reload in progress has returned. */
  close(): Promise<void>;
}

/**
 * Watches a config file: reloads on change (in-place edit, atomic rename, `..data` symlink swap), keeps the last
 * good value when the new content does not parse, and retries with exponential backoff until it does or it changes.
 * @example
 * const cfg = watchConfigFile({ path, parse: parseContainerCredentialsConfig, onReload: (r) => log(r) });
 */
export function watchConfigFile<T>(options: WatchConfigFileOptions<T>): ConfigFileWatch<T> {
  const initialMs = options.retry?.initialMs ?? 10;
  const maxMs = options.retry?.maxMs ?? 5 * 60_000;
  let value: T | undefined;
  let appliedContent: string | undefined;
  let failedContent: string | undefined;
  let retryDelay = initialMs;
  let retryTimer: NodeJS.Timeout | undefined;

  async function reload(signal: AbortSignal): Promise<void> {
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = undefined;
    let content: string;
    try {
      content = await readFile(options.path, 'utf8');
      if (signal.aborted) return;
    } catch (err) {
      if (signal.aborted) return;
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        options.onReload({ ok: false, error: err as Error });
        scheduleRetry();
        return;
      }
      content = ''; // missing ⇒ empty, as upstream
    }
    if (content === appliedContent) {
      failedContent = undefined;
      retryDelay = initialMs;
      return;
    }
    try {
      const parsed = options.parse(content);
      value = parsed;
      appliedContent = content;
      failedContent = undefined;
      retryDelay = initialMs;
      options.onReload({ ok: true, value: parsed, content });
    } catch (err) {
      if (content !== failedContent) retryDelay = initialMs; // new content: start the backoff over
      if (content !== failedContent || retryDelay === initialMs) options.onReload({ ok: false, error: err as Error });
      failedContent = content;
      scheduleRetry();
    }
  }

  function scheduleRetry(): void {
    const delay = retryDelay;
    retryDelay = Math.min(maxMs, retryDelay * 2);
    retryTimer = setTimeout(() => watcher.trigger(), delay);
    retryTimer.unref();
  }

  const watcher = watchPath({
    path: options.path,
    onChange: reload,
    ...(options.debounceMs !== undefined ? { debounceMs: options.debounceMs } : {}),
    ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
  });

  return {
    current: () => value,
    settled: () => watcher.settled(),
    close() {
      if (retryTimer) clearTimeout(retryTimer);
      return watcher.close();
    },
  };
}
