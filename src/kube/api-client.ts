/**
 * A small Kubernetes API client for the webhook's sources: configuration through `@kubernetes/client-node`'s
 * `KubeConfig` (in-cluster, `--kubeconfig`, `--kube-api`), and three raw calls on top of it — a JSON GET, and a
 * streamed watch — so list pages and watch events are parsed once, as plain JSON, and reduced right away
 * (no typed model objects for 100,000 ServiceAccounts).
 * @module
 */
import http from 'node:http';
import https from 'node:https';
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeApiError, type KubeStatus } from './errors.js';

const requireModule = createRequire(import.meta.url);

/**
 * client-node takes ~0.4 s to load; only the Kubernetes source needs it, so it is loaded on first use (a
 * synchronous require of the ES module, Node ≥ 20.19) rather than by every `irsa` command at start-up.
 */
function newKubeConfig(): KubeConfig {
  const clientNode = requireModule('@kubernetes/client-node') as typeof import('@kubernetes/client-node');
  return new clientNode.KubeConfig();
}

/** Where the API server is: upstream's `--kubeconfig` / `--kube-api` (both empty ⇒ in-cluster). */
export interface LoadKubeConfigOptions {
  /** Path of a kubeconfig file (`--kubeconfig`). */
  kubeconfig?: string | undefined;
  /** API server URL (`--kube-api`); overrides the kubeconfig's server, or alone gives an anonymous client. */
  kubeApi?: string | undefined;
}

/**
 * Builds a `KubeConfig` the way client-go's `BuildConfigFromFlags` does: both empty ⇒ in-cluster config; a kubeconfig
 * file, with its server replaced by `kubeApi` when given; `kubeApi` alone ⇒ that URL without credentials.
 * @example
 * const kc = loadKubeConfig({ kubeApi: 'http://127.0.0.1:8001' });
 */
export function loadKubeConfig(options: LoadKubeConfigOptions = {}): KubeConfig {
  const kc = newKubeConfig();
  const kubeApi = options.kubeApi || undefined;
  if (options.kubeconfig) {
    kc.loadFromFile(options.kubeconfig);
    if (kubeApi) {
      const current = kc.getCurrentCluster();
      if (!current) throw new KubeApiError('ERR_KUBE_CONFIG', `kubeconfig ${options.kubeconfig} has no current cluster to point at ${kubeApi}; set current-context`, { field: 'kubeconfig' });
      const clusters = kc.getClusters().map((c) => (c.name === current.name ? { ...c, server: kubeApi, skipTLSVerify: c.skipTLSVerify || kubeApi.startsWith('http:') } : c));
      const ctx = kc.getCurrentContext();
      kc.loadFromOptions({ clusters, users: kc.getUsers(), contexts: kc.getContexts(), currentContext: ctx });
    }
  } else if (kubeApi) {
    // client-node refuses plain http unless skipTLSVerify is set; for an https URL verification stays on.
    kc.loadFromClusterAndUser({ name: 'kube-api', server: kubeApi, skipTLSVerify: kubeApi.startsWith('http:') }, { name: 'anonymous' });
  } else {
    if (!process.env.KUBERNETES_SERVICE_HOST) {
      throw new KubeApiError('ERR_KUBE_CONFIG', 'not running in a cluster (KUBERNETES_SERVICE_HOST is unset) and neither a kubeconfig nor the API server URL given');
    }
    kc.loadFromCluster();
  }
  return kc;
}

/** One event of a watch stream. */
export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR' | string;
  object: Record<string, unknown>;
}

/** The calls the ServiceAccount and ConfigMap sources make. A test can pass its own implementation. */
export interface KubeApi {
  /** GET `path` (with query) and parse the JSON body; resolves for any HTTP status (the caller decides). */
  getJson(path: string, options?: { signal?: AbortSignal; timeoutMs?: number }): Promise<{ status: number; body: unknown }>;
  /**
   * Opens a watch stream (`path` must carry `watch=1`) and calls `onEvent` per JSON line. Resolves when the server
   * ends the stream; rejects with a `KubeApiError` (its `status` is the HTTP status, e.g. 410) or on a dropped
   * connection. Aborting `signal` ends it quietly.
   */
  watch(path: string, onEvent: (event: WatchEvent) => void, options: { signal: AbortSignal }): Promise<void>;
}

/**
 * The raw client over a `KubeConfig` (authentication, CA and proxy come from client-node's `applyToHTTPSOptions`).
 * @example
 * const api = createKubeApi(loadKubeConfig({ kubeconfig: '~/.kube/config' }));
 * const { status, body } = await api.getJson('/api/v1/namespaces/default/serviceaccounts/default');
 */
export function createKubeApi(kubeConfig: KubeConfig): KubeApi {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new KubeApiError('ERR_KUBE_CONFIG', 'the kubeconfig has no current cluster; set current-context');
  const server = cluster.server.replace(/\/+$/, '');
  const isHttps = server.startsWith('https:');

  async function open(path: string, signal: AbortSignal | undefined): Promise<http.IncomingMessage> {
    const opts: https.RequestOptions = { method: 'GET', headers: { Accept: 'application/json' } };
    await kubeConfig.applyToHTTPSOptions(opts);
    const url = new URL(server + path);
    const transport = isHttps ? https : http;
    return await new Promise((resolve, reject) => {
      const req = transport.request(url, { ...opts, ...(signal ? { signal } : {}) }, resolve);
      // TCP keep-alive probes notice a peer that vanished without closing (long-lived watch connections).
      req.on('socket', (socket) => socket.setKeepAlive(true, 30_000));
      req.on('error', reject);
      req.end();
    });
  }

  return {
    async getJson(path, options = {}) {
      // One local controller linked to the caller's signal and the timeout (no AbortSignal.any: its listeners
      // linger on long-lived signals until garbage collection).
      const local = new AbortController();
      const onAbort = (): void => local.abort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.signal?.aborted) local.abort();
      const timer = options.timeoutMs ? setTimeout(() => local.abort(new Error(`timed out after ${options.timeoutMs} ms`)), Math.max(1, Math.ceil(options.timeoutMs))) : undefined;
      try {
        const res = await open(path, local.signal);
        const chunks: Buffer[] = [];
        for await (const chunk of res) chunks.push(chunk as Buffer);
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = text === '' ? undefined : JSON.parse(text);
        } catch {
          body = text;
        }
        return { status: res.statusCode ?? 0, body };
      } catch (err) {
        const reason = local.signal.aborted && local.signal.reason instanceof Error && !options.signal?.aborted ? local.signal.reason.message : (err as Error).message;
        throw new KubeApiError('ERR_KUBE_API_REQUEST', `GET ${path} failed: ${reason}`, { cause: err });
      } finally {
        if (timer) clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      }
    },

    async watch(path, onEvent, options) {
      let res: http.IncomingMessage;
      try {
        res = await open(path, options.signal);
      } catch (err) {
        if (options.signal.aborted) return;
        throw new KubeApiError('ERR_KUBE_API_REQUEST', `watch ${path} failed: ${(err as Error).message}`, { cause: err });
      }
      if (res.statusCode !== 200) {
        const chunks: Buffer[] = [];
        try {
          for await (const chunk of res) chunks.push(chunk as Buffer);
        } catch {
          // the body of an error is informative only
        }
        const kubeStatus = parseStatus(Buffer.concat(chunks).toString('utf8'));
        throw new KubeApiError('ERR_KUBE_API_STATUS', `watch ${path}: HTTP ${res.statusCode}${kubeStatus?.message ? `: ${kubeStatus.message}` : ''}`, {
          status: res.statusCode ?? 0,
          ...(kubeStatus ? { kubeStatus } : {}),
        });
      }
      const lines = createInterface({ input: res, crlfDelay: Infinity });
      let ended = false;
      let handlerError: unknown;
      try {
        for await (const line of lines) {
          if (line.trim() === '') continue;
          let event: WatchEvent;
          try {
            event = JSON.parse(line) as WatchEvent;
          } catch (err) {
            throw new KubeApiError('ERR_KUBE_WATCH_DECODE', `watch ${path}: undecodable event: ${(err as Error).message}`, { cause: err });
          }
          try {
            onEvent(event);
          } catch (err) {
            handlerError = err;
            break;
          }
          if (options.signal.aborted) return;
        }
        ended = res.complete;
      } catch (err) {
        if (options.signal.aborted) return;
        if (err instanceof KubeApiError) throw err;
        throw new KubeApiError('ERR_KUBE_WATCH_DROPPED', `watch ${path}: connection dropped: ${(err as Error).message}`, { cause: err });
      } finally {
        lines.close();
        res.destroy();
      }
      if (handlerError !== undefined) throw handlerError;
      if (!ended && !options.signal.aborted) {
        throw new KubeApiError('ERR_KUBE_WATCH_DROPPED', `watch ${path}: connection closed before the response ended`);
      }
    },
  };
}

function parseStatus(text: string): KubeStatus | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' ? (v as KubeStatus) : undefined;
  } catch {
    return undefined;
  }
}

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

class Gone extends Error {}

/**
 * Runs a client-go style reflector: list (paged), then watch from the list's resourceVersion with bookmarks;
 * a `410 Gone` (HTTP status or ERROR event) ⇒ relist; an error or a dropped connection ⇒ re-watch from the last
 * resourceVersion after an exponential backoff with jitter; a normal end of the stream ⇒ re-watch at once.
 * @example
 * const lw = startListWatch({ api, path: '/api/v1/serviceaccounts' }, handlers);
 * lw.stop();
 */
export function startListWatch(options: StartListWatchOptions, handlers: ListWatchHandlers): ListWatch {
  const controller = new AbortController();
  const random = options.random ?? Math.random;
  const initialMs = options.backoff?.initialMs ?? 250;
  const maxMs = options.backoff?.maxMs ?? 30_000;
  const pageSize = options.pageSize ?? 500;
  const watchTimeout = options.watchTimeoutSeconds ?? (() => 300 + Math.floor(random() * 300));
  let failures = 0;
  let relistRequested = false;
  let watchController: AbortController | undefined;

  const query = (extra: Record<string, string>): string => {
    const params = new URLSearchParams({ ...options.query, ...extra });
    return `${options.path}?${params.toString()}`;
  };

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (controller.signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        controller.signal.removeEventListener('abort', done);
        resolve();
      }
      controller.signal.addEventListener('abort', done, { once: true });
    });

  const backoff = (): Promise<void> => {
    const base = Math.min(maxMs, initialMs * 2 ** Math.min(failures, 30));
    failures++;
    return sleep(base * (0.5 + random()));
  };

  async function list(): Promise<string> {
    handlers.beginList();
    let cont: string | undefined;
    let resourceVersion = '';
    try {
      do {
        const extra: Record<string, string> = {};
        if (pageSize > 0) extra.limit = String(pageSize);
        if (cont) extra.continue = cont;
        const { status, body } = await options.api.getJson(query(extra), { signal: controller.signal, timeoutMs: options.listTimeoutMs ?? 60_000 });
        if (status === 410) throw new Gone(`list ${options.path}: continue token expired`);
        if (status !== 200 || !body || typeof body !== 'object') {
          const message = (body as KubeStatus | undefined)?.message;
          throw new KubeApiError('ERR_KUBE_API_STATUS', `list ${options.path}: HTTP ${status}${message ? `: ${message}` : ''}`, { status });
        }
        const page = body as { items?: unknown; metadata?: { resourceVersion?: string; continue?: string } };
        if (Array.isArray(page.items)) for (const item of page.items) if (item && typeof item === 'object') handlers.listItem(item as Record<string, unknown>);
        resourceVersion = page.metadata?.resourceVersion ?? '';
        cont = page.metadata?.continue || undefined;
      } while (cont && !controller.signal.aborted);
    } catch (err) {
      handlers.abortList();
      throw err;
    }
    if (controller.signal.aborted) {
      handlers.abortList();
      return resourceVersion;
    }
    handlers.endList();
    return resourceVersion;
  }

  async function watchFrom(resourceVersion: string): Promise<string> {
    let rv = resourceVersion;
    const opened = Date.now();
    let sawEvent = false;
    const wc = new AbortController();
    watchController = wc;
    const stopWatch = (): void => wc.abort();
    controller.signal.addEventListener('abort', stopWatch, { once: true });
    const timeoutSeconds = watchTimeout();
    // The server ends the stream after timeoutSeconds; still open well after that means a dead connection.
    let stalled = false;
    const watchdog = setTimeout(() => {
      stalled = true;
      wc.abort();
    }, timeoutSeconds * 1000 + (options.stallMarginMs ?? 30_000));
    await options.api.watch(
      query({ watch: '1', resourceVersion: rv, allowWatchBookmarks: 'true', timeoutSeconds: String(timeoutSeconds) }),
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
        failures = 0;
        if (event.type === 'ADDED' || event.type === 'MODIFIED' || event.type === 'DELETED') handlers.event(event.type, event.object);
      },
      { signal: wc.signal },
    ).catch((err: unknown) => {
      // keep the progress made before the failure
      (err as { resourceVersion?: string }).resourceVersion = rv;
      throw err;
    }).finally(() => {
      clearTimeout(watchdog);
      controller.signal.removeEventListener('abort', stopWatch);
      watchController = undefined;
    });
    if (stalled && !controller.signal.aborted) {
      throw Object.assign(new KubeApiError('ERR_KUBE_WATCH_DROPPED', `watch ${options.path}: stream still open ${options.stallMarginMs ?? 30_000} ms after timeoutSeconds=${timeoutSeconds}; reconnecting`), { resourceVersion: rv });
    }
    if (!sawEvent && Date.now() - opened < 1000) failures++;
    return rv;
  }

  async function loop(): Promise<void> {
    let synced = false;
    while (!controller.signal.aborted) {
      let rv: string;
      try {
        rv = await list();
        if (controller.signal.aborted) return;
        failures = 0;
        if (!synced) {
          synced = true;
          options.onSynced?.();
        }
      } catch (err) {
        if (controller.signal.aborted) return;
        options.onRestart?.(err instanceof Gone ? 'gone' : 'error', (err as Error).message);
        await backoff();
        continue;
      }
      while (!controller.signal.aborted) {
        if (relistRequested) {
          relistRequested = false;
          break;
        }
        try {
          rv = await watchFrom(rv);
          if (controller.signal.aborted) return;
          if (relistRequested) continue;
          // The server ended the stream (timeoutSeconds): not a fault, re-watch from where we are.
          options.onRestart?.('closed', `watch ${options.path} ended by the server`);
          if (failures > 0) await backoff();
        } catch (err) {
          if (controller.signal.aborted) return;
          const progressed = (err as { resourceVersion?: string }).resourceVersion;
          if (progressed) rv = progressed;
          if (err instanceof Gone || (err instanceof KubeApiError && err.status === 410)) {
            options.onRestart?.('gone', (err as Error).message);
            break; // relist
          }
          const dropped = err instanceof KubeApiError && (err.code === 'ERR_KUBE_WATCH_DROPPED' || err.code === 'ERR_KUBE_API_REQUEST');
          options.onRestart?.(dropped ? 'dropped' : 'error', (err as Error).message);
          await backoff();
        }
      }
    }
  }

  const done = loop();
  return {
    stop() {
      controller.abort();
    },
    relist() {
      relistRequested = true;
      watchController?.abort();
    },
    done,
  };
}
