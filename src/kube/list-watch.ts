/**
 * The reflector behind the ServiceAccount and ConfigMap sources, in client-go's manner: list (paged), then watch
 * from the list's resourceVersion with bookmarks, over the raw calls of api-client.ts. Its state (failures that set
 * the backoff, a pending relist, the open watch) lives in the fields of one `Reflector` per loop.
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeApi } from './api-client.js';
import { KubeApiError, type KubeStatus } from './errors.js';

/** Why a list+watch loop started over (counted by the webhook's `watch restarts` metric). */
export type WatchRestartReason = 'gone' | 'error' | 'dropped' | 'closed';

/** What a list+watch loop does with the objects it receives. */
export interface ListWatchHandlers {
  /** A full list starts (first sync, or a relist after `410 Gone` or an error). */
  beginList(): void;
  /** One item of the list (pages are streamed: items are reduced as they arrive). */
  listItem(object: Record<string, unknown>): void;
  /** The list is complete: swap in what was collected. */
  endList(): void;
  /** A failed list: drop what was collected. */
  abortList(): void;
  /** A watch event (ADDED, MODIFIED, DELETED). */
  event(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: Record<string, unknown>): void;
}

export interface StartListWatchOptions {
  api: KubeApi;
  /** Collection path, e.g. `/api/v1/serviceaccounts` or `/api/v1/namespaces/eks/configmaps`. */
  path: string;
  /** Extra query parameters for both list and watch (e.g. `fieldSelector`). */
  query?: Record<string, string>;
  /** Items per list page (`limit`/`continue`); 0 = no paging. Default 500, as client-go's pager. */
  pageSize?: number;
  /** Reconnect backoff: first delay and cap (ms); each delay gets ±50% jitter. Default 250 ms .. 30 s. */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Seconds the server keeps one watch open (`timeoutSeconds`); default random 300..600 as client-go. */
  watchTimeoutSeconds?: () => number;
  /** A watch still open this long after its `timeoutSeconds` is taken for a dead connection (default 30 s). */
  stallMarginMs?: number;
  /** Uniform random in [0, 1) for jitter (injectable for tests). */
  random?: () => number;
  /** Per-request timeout of a list page (ms); default 60 s. */
  listTimeoutMs?: number;
  onSynced?: () => void;
  onRestart?: (reason: WatchRestartReason, detail: string) => void;
}

/** A running list+watch loop. */
export interface ListWatch {
  /** Stops the loop and closes its watch connection. */
  stop(): void;
  /** Ends the current watch and lists again (e.g. after the cache was cleared). */
  relist(): void;
  /** Resolves once the loop has ended after `stop()`. */
  done: Promise<void>;
}

/** A `410 Gone` (expired continue token or resourceVersion): list again. */
class Gone extends Error {}

/** The resourceVersion a failed watch had reached, carried on its error so the next watch resumes there. */
type WithProgress = { resourceVersion?: string };

/**
 * Runs a client-go style reflector: list (paged), then watch from the list's resourceVersion with bookmarks;
 * a `410 Gone` (HTTP status or ERROR event) ⇒ relist; an error or a dropped connection ⇒ re-watch from the last
 * resourceVersion after an exponential backoff with jitter; a normal end of the stream ⇒ re-watch at once.
 * @example
 * const lw = startListWatch({ api, path: '/api/v1/serviceaccounts' }, handlers);
 * lw.stop();
 */
export function startListWatch(options: StartListWatchOptions, handlers: ListWatchHandlers): ListWatch {
  const reflector = new Reflector(options, handlers);
  return { stop: () => reflector.stop(), relist: () => reflector.relist(), done: reflector.done };
}

/** One list+watch loop; it starts in the constructor and runs until `stop()`. */
class Reflector {
  readonly done: Promise<void>;
  /** Aborted by `stop()`: ends the loop, its sleeps and its requests. */
  readonly stopped = new AbortController();
  readonly random: () => number;
  readonly initialMs: number;
  readonly maxMs: number;
  readonly pageSize: number;
  readonly watchTimeout: () => number;
  readonly stallMarginMs: number;
  /** Failures since the last progress: the exponent of the next backoff. */
  failures = 0;
  /** `relist()` was called: the watch loop breaks out to list again. */
  relistRequested = false;
  /** Aborts the open watch, if any (`relist()`, `stop()`, the stall watchdog). */
  watchController: AbortController | undefined = undefined;

  constructor(
    readonly options: StartListWatchOptions,
    readonly handlers: ListWatchHandlers,
  ) {
    this.random = options.random ?? Math.random;
    this.initialMs = options.backoff?.initialMs ?? 250;
    this.maxMs = options.backoff?.maxMs ?? 30_000;
    this.pageSize = options.pageSize ?? 500;
    this.watchTimeout = options.watchTimeoutSeconds ?? (() => 300 + Math.floor(this.random() * 300));
    this.stallMarginMs = options.stallMarginMs ?? 30_000;
    this.done = this.run();
  }

  stop(): void {
    this.stopped.abort();
  }

  relist(): void {
    this.relistRequested = true;
    this.watchController?.abort();
  }

  get aborted(): boolean {
    return this.stopped.signal.aborted;
  }

  /** The collection path with the source's query and `extra`. */
  url(extra: Record<string, string>): string {
    const params = new URLSearchParams({ ...this.options.query, ...extra });
    return `${this.options.path}?${params.toString()}`;
  }

  /** Waits the next exponential delay with ±50% jitter; `stop()` ends the wait at once. */
  async backoff(): Promise<void> {
    const base = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    await sleep(base * (0.5 + this.random()), undefined, { signal: this.stopped.signal }).catch(() => {});
  }

  /** Lists every page into the handlers; resolves with the list's resourceVersion. */
  async list(): Promise<string> {
    const { options, handlers } = this;
    handlers.beginList();
    let cont: string | undefined;
    let resourceVersion = '';
    try {
      do {
        const extra: Record<string, string> = {};
        if (this.pageSize > 0) extra.limit = String(this.pageSize);
        if (cont) extra.continue = cont;
        const { status, body } = await options.api.getJson(this.url(extra), { signal: this.stopped.signal, timeoutMs: options.listTimeoutMs ?? 60_000 });
        if (status === 410) throw new Gone(`list ${options.path}: continue token expired`);
        if (status !== 200 || !body || typeof body !== 'object') {
          const message = (body as KubeStatus | undefined)?.message;
          throw new KubeApiError('ERR_KUBE_API_STATUS', `list ${options.path}: HTTP ${status}${message ? `: ${message}` : ''}`, { status });
        }
        const page = body as { items?: unknown; metadata?: { resourceVersion?: string; continue?: string } };
        if (Array.isArray(page.items)) for (const item of page.items) if (item && typeof item === 'object') handlers.listItem(item as Record<string, unknown>);
        resourceVersion = page.metadata?.resourceVersion ?? '';
        cont = page.metadata?.continue || undefined;
      } while (cont && !this.aborted);
    } catch (err) {
      handlers.abortList();
      throw err;
    }
    if (this.aborted) {
      handlers.abortList();
      return resourceVersion;
    }
    handlers.endList();
    return resourceVersion;
  }

  /** Watches from `resourceVersion` until the stream ends; resolves with the last resourceVersion seen. */
  async watchFrom(resourceVersion: string): Promise<string> {
    const { options, handlers } = this;
    let rv = resourceVersion;
    const opened = Date.now();
    let sawEvent = false;
    const wc = new AbortController();
    this.watchController = wc;
    const stopWatch = (): void => wc.abort();
    this.stopped.signal.addEventListener('abort', stopWatch, { once: true });
    const timeoutSeconds = this.watchTimeout();
    // The server ends the stream after timeoutSeconds; still open well after that means a dead connection.
    let stalled = false;
    const watchdog = setTimeout(() => {
      stalled = true;
      wc.abort();
    }, timeoutSeconds * 1000 + this.stallMarginMs);
    await options.api.watch(
      this.url({ watch: '1', resourceVersion: rv, allowWatchBookmarks: 'true', timeoutSeconds: String(timeoutSeconds) }),
      (event) => {
        if (event.type === 'ERROR') {
          const status = event.object as KubeStatus;
          if (status.code === 410 || status.reason === 'Expired' || status.reason === 'Gone') throw new Gone(`watch ${options.path}: ${status.message ?? 'resourceVersion too old'}`);
          throw new KubeApiError('ERR_KUBE_WATCH_ERROR', `watch ${options.path}: ERROR event: ${status.message ?? JSON.stringify(status)}`, {
            status: status.code ?? 0,
            kubeStatus: status,
          });
        }
        const meta = (event.object?.metadata ?? {}) as { resourceVersion?: string };
        if (meta.resourceVersion) rv = meta.resourceVersion;
        sawEvent = true;
        this.failures = 0;
        if (event.type === 'ADDED' || event.type === 'MODIFIED' || event.type === 'DELETED') handlers.event(event.type, event.object);
      },
      { signal: wc.signal },
    ).catch((err: unknown) => {
      // keep the progress made before the failure
      (err as WithProgress).resourceVersion = rv;
      throw err;
    }).finally(() => {
      clearTimeout(watchdog);
      this.stopped.signal.removeEventListener('abort', stopWatch);
      this.watchController = undefined;
    });
    if (stalled && !this.aborted) {
      throw Object.assign(new KubeApiError('ERR_KUBE_WATCH_DROPPED', `watch ${options.path}: stream still open ${this.stallMarginMs} ms after timeoutSeconds=${timeoutSeconds}; reconnecting`), { resourceVersion: rv });
    }
    if (!sawEvent && Date.now() - opened < 1000) this.failures++;
    return rv;
  }

  /** List, then watch until a relist is due; again until `stop()`. */
  async run(): Promise<void> {
    const { options } = this;
    let synced = false;
    while (!this.aborted) {
      let rv: string;
      try {
        rv = await this.list();
        if (this.aborted) return;
        this.failures = 0;
        if (!synced) {
          synced = true;
          options.onSynced?.();
        }
      } catch (err) {
        if (this.aborted) return;
        options.onRestart?.(err instanceof Gone ? 'gone' : 'error', (err as Error).message);
        await this.backoff();
        continue;
      }
      while (!this.aborted) {
        if (this.relistRequested) {
          this.relistRequested = false;
          break;
        }
        try {
          rv = await this.watchFrom(rv);
          if (this.aborted) return;
          if (this.relistRequested) continue;
          // The server ended the stream (timeoutSeconds): not a fault, re-watch from where we are.
          options.onRestart?.('closed', `watch ${options.path} ended by the server`);
          if (this.failures > 0) await this.backoff();
        } catch (err) {
          if (this.aborted) return;
          const progressed = (err as WithProgress).resourceVersion;
          if (progressed) rv = progressed;
          if (err instanceof Gone || (err instanceof KubeApiError && err.status === 410)) {
            options.onRestart?.('gone', (err as Error).message);
            break; // relist
          }
          const dropped = err instanceof KubeApiError && (err.code === 'ERR_KUBE_WATCH_DROPPED' || err.code === 'ERR_KUBE_API_REQUEST');
          options.onRestart?.(dropped ? 'dropped' : 'error', (err as Error).message);
          await this.backoff();
        }
      }
    }
  }
}
