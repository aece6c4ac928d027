/**
 * The raw Kubernetes API client of the webhook's sources: configuration through `@kubernetes/client-node`'s
 * `KubeConfig` (in-cluster, `--kubeconfig`, `--kube-api`), and two raw calls on top of it — a JSON GET and a
 * streamed watch — so list pages and watch events are parsed once, as plain JSON, and reduced right away
 * (no typed model objects for 100,000 ServiceAccounts). The list+watch loop over them is list-watch.ts.
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
