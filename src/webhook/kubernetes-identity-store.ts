/**
 * The `IdentityStore` for real clusters: ServiceAccounts by list+watch in all namespaces, the
 * `pod-identity-webhook` ConfigMap when `--watch-config-map`, the Pod Identity config file when set, and a
 * grace-period lookup (watch plus a rate-limited direct GET) that closes upstream's creation race.
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { pino, type Logger } from 'pino';
import { createKubeApi, loadKubeConfig, type KubeApi } from '../kube/api-client.js';
import type { StartListWatchOptions, WatchRestartReason } from '../kube/list-watch.js';
import { startConfigMapWatch, type ConfigMapData, type ConfigMapWatch } from '../kube/config-map-watch.js';
import { reduceServiceAccount, startServiceAccountWatch, type ServiceAccountWatch } from '../kube/service-account-watch.js';
import { dumpServiceAccountEntries, dumpSettingsOf } from './cache-dump.js';
import { CONFIG_MAP_KEY, CONFIG_MAP_NAME, DEFAULT_ANNOTATION_PREFIX } from './constants.js';
import { watchContainerCredentials } from './container-credentials-watch.js';
import { lookupConfigMap, parseConfigMapConfig, type ConfigMapEntries } from './identity.js';
import type { IdentityStoreCommonOptions, ManagedIdentityStore, ServiceAccountLookup } from './identity-store.js';
import { TokenBucket } from './token-bucket.js';

export interface KubernetesIdentityStoreOptions extends IdentityStoreCommonOptions {
  /** `--kubeconfig` (with `kubeApi` both empty ⇒ in-cluster). Ignored when `api` is given. */
  kubeconfig?: string | undefined;
  /** `--kube-api`. Ignored when `api` is given. */
  kubeApi?: string | undefined;
  /** A ready client (tests, or a caller that built its own). */
  api?: KubeApi;
  /** `--namespace`: where the `pod-identity-webhook` ConfigMap lives (default `eks`). */
  namespace?: string;
  /** `--watch-config-map`. */
  watchConfigMap?: boolean;
  /** `--service-account-lookup-grace-period` in ms (default 2000 here; upstream 0). 0 = no wait, no GET. */
  lookupGracePeriodMs?: number;
  /**
   * `--resync-period` in ms (default 60000). Accepted for compatibility; client-go's resync replays the local
   * cache to handlers without calling the API, and entries here are computed at lookup time, so there is nothing to
   * replay — freshness comes from the watch, bookmarks and relists.
   */
  resyncPeriodMs?: number;
  /** Direct GETs on a miss: token bucket (default 10/s, burst 20) and per-request timeout (default 1000 ms). */
  lookupRateLimit?: { perSecond?: number; burst?: number };
  lookupRequestTimeoutMs?: number;
  /** Tuning of the list+watch loops (page size, reconnect backoff, jitter, watch timeout). */
  listWatch?: Pick<StartListWatchOptions, 'pageSize' | 'backoff' | 'random' | 'watchTimeoutSeconds' | 'listTimeoutMs' | 'stallMarginMs'>;
  /** Monotonic clock in ms (default `performance.now`). */
  now?: () => number;
}

/** Applies a ConfigMap's `data.config`; returns undefined (keep the old entries) when it is not JSON at all. */
function configMapEntriesOf(config: string, logger: Logger, where: string): ConfigMapEntries | undefined {
  const { entries, errors, syntaxError } = parseConfigMapConfig(config);
  if (syntaxError !== undefined) {
    logger.error({ source: where, err: syntaxError }, 'ConfigMap config is not valid JSON; keeping the previous entries');
    return undefined;
  }
  for (const message of errors) logger.warn({ source: where }, message);
  return entries;
}

function emptyConfigMapEntries(): ConfigMapEntries {
  return parseConfigMapConfig('{}').entries;
}

interface PendingLookup {
  namespace: string;
  name: string;
  promise: Promise<ServiceAccountLookup>;
  settle(result: ServiceAccountLookup): void;
}

/**
 * The store for real clusters: ServiceAccounts by list+watch in all namespaces, the ConfigMap when
 * `watchConfigMap`, the Pod Identity file when set. A lookup that misses the cache waits for the watch and, at the
 * same time, GETs that ServiceAccount (one wait and one GET per key however many lookups share it; 404 ⇒ miss at
 * once) up to the grace period. A key the ConfigMap resolves never waits: it is answered from the cache at once
 * (`source: 'cache'`, no `serviceAccount`), as upstream counts a ConfigMap hit as found in its cache.
 * @example
 * const store = createKubernetesIdentityStore({ kubeconfig: '/root/.kube/config', namespace: 'eks', watchConfigMap: true });
 * const { serviceAccount, source } = await store.lookupServiceAccount('default', 'app');
 */
export function createKubernetesIdentityStore(options: KubernetesIdentityStoreOptions = {}): ManagedIdentityStore {
  const logger = options.logger ?? pino({ level: 'silent' });
  const events = options.events ?? {};
  const annotationPrefix = options.annotationPrefix ?? DEFAULT_ANNOTATION_PREFIX;
  const api = options.api ?? createKubeApi(loadKubeConfig({ kubeconfig: options.kubeconfig, kubeApi: options.kubeApi }));
  const grace = options.lookupGracePeriodMs ?? 2000;
  const now = options.now ?? (() => performance.now());
  const bucket = new TokenBucket((options.lookupRateLimit?.perSecond ?? 10) / 1000, options.lookupRateLimit?.burst ?? 20, now);
  const getTimeoutMs = options.lookupRequestTimeoutMs ?? 1000;
  const settings = dumpSettingsOf(options);
  const pending = new Map<string, PendingLookup>();
  const readyWaiters: Array<() => void> = [];
  let closed = false;
  let cmEntries: ConfigMapEntries | undefined;
  let saSynced = false;
  let cmSynced = !options.watchConfigMap;

  const checkReady = (): void => {
    if (!(saSynced && cmSynced) && !closed) return;
    for (const w of readyWaiters.splice(0)) w();
  };
  const watchRestarted = (kind: 'serviceaccounts' | 'configmap', reason: WatchRestartReason, detail: string): void => {
    // the server ending a watch after its timeoutSeconds is routine
    (reason === 'closed' ? logger.debug : logger.warn).call(logger, { kind, reason, detail }, 'watch restarted');
    events.watchRestarted?.(kind, reason);
  };

  const saWatch: ServiceAccountWatch = startServiceAccountWatch({
    api,
    annotationPrefix,
    ...(options.listWatch ? { listWatch: options.listWatch } : {}),
    onChange(sa) {
      events.changed?.(sa ? { type: 'set', serviceAccount: sa } : { type: 'reset' });
      if (pending.size === 0) return;
      if (sa) {
        pending.get(`${sa.namespace}/${sa.name}`)?.settle({ serviceAccount: sa, source: 'cache' });
        return;
      }
      // a relist: wake whoever the new list answers
      const index = saWatch.index();
      for (const p of pending.values()) {
        const hit = index.get(p.namespace, p.name);
        if (hit) p.settle({ serviceAccount: hit, source: 'cache' });
      }
    },
    onSynced() {
      saSynced = true;
      logger.info({ serviceAccounts: saWatch.index().size }, 'ServiceAccounts synced');
      events.synced?.();
      checkReady();
    },
    onRestart: (reason, detail) => watchRestarted('serviceaccounts', reason, detail),
    onDelete: (namespace, name) => events.changed?.({ type: 'delete', namespace, name }),
  });

  let cmWatch: ConfigMapWatch | undefined;
  if (options.watchConfigMap) {
    const namespace = options.namespace ?? 'eks';
    const where = `configmap ${namespace}/${CONFIG_MAP_NAME}`;
    cmWatch = startConfigMapWatch({
      api,
      namespace,
      name: CONFIG_MAP_NAME,
      ...(options.listWatch ? { listWatch: options.listWatch } : {}),
      onData(data: ConfigMapData) {
        if (data === undefined) {
          if (cmEntries !== undefined) logger.info({ source: where }, 'ConfigMap absent or deleted; its entries are cleared');
          cmEntries = undefined;
          events.configReloaded?.('configmap', true);
          return;
        }
        const config = data[CONFIG_MAP_KEY];
        const entries = config === undefined ? emptyConfigMapEntries() : configMapEntriesOf(config, logger, where);
        if (entries) {
          cmEntries = entries;
          // lookups waiting out the grace period for a key the new ConfigMap resolves are answered now
          for (const p of pending.values()) {
            if (lookupConfigMap(entries, p.namespace, p.name)) p.settle({ serviceAccount: undefined, source: 'cache' });
          }
        }
        events.configReloaded?.('configmap', entries !== undefined);
      },
      onSynced() {
        cmSynced = true;
        checkReady();
      },
      onRestart: (reason, detail) => watchRestarted('configmap', reason, detail),
    });
  }

  const ccWatch = watchContainerCredentials(options, logger, events);

  function startPending(namespace: string, name: string, key: string): PendingLookup {
    let settled = false;
    let resolve!: (r: ServiceAccountLookup) => void;
    const promise = new Promise<ServiceAccountLookup>((r) => (resolve = r));
    const abort = new AbortController();
    const deadline = now() + grace;
    const timer = setTimeout(() => settle({ serviceAccount: undefined, source: 'miss' }), grace);
    function settle(result: ServiceAccountLookup): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      abort.abort();
      if (pending.get(key) === entry) pending.delete(key);
      resolve(result);
    }
    const entry: PendingLookup = { namespace, name, promise, settle };
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/serviceaccounts/${encodeURIComponent(name)}`;

    // settling aborts the wait at once; the loop then sees `settled` and ends
    const pause = (ms: number): Promise<void> => sleep(ms, undefined, { signal: abort.signal }).catch(() => {});

    void (async () => {
      let attempt = 0;
      while (!settled) {
        const wait = bucket.reserve(deadline);
        if (wait < 0) return; // rate limited past the deadline: only the watch can answer now
        if (wait > 0) await pause(wait);
        if (settled) return;
        const timeoutMs = Math.max(1, Math.min(getTimeoutMs, deadline - now()));
        try {
          const { status, body } = await api.getJson(path, { signal: abort.signal, timeoutMs });
          if (settled) return;
          if (status === 200) {
            const sa = reduceServiceAccount(body, annotationPrefix);
            if (sa) return settle({ serviceAccount: saWatch.index().get(namespace, name) ?? sa, source: 'api' });
          } else if (status === 404) {
            logger.debug({ namespace, name }, 'ServiceAccount not found by the API');
            return settle({ serviceAccount: undefined, source: 'miss' });
          } else {
            logger.warn({ namespace, name, status }, 'ServiceAccount GET failed; retrying within the grace period');
          }
        } catch (err) {
          if (settled) return;
          logger.warn({ namespace, name, err: (err as Error).message }, 'ServiceAccount GET failed; retrying within the grace period');
        }
        await pause(Math.min(25 * 2 ** attempt++, 400));
      }
    })();
    return entry;
  }

  return {
    async lookupServiceAccount(namespace, name) {
      const hit = saWatch.index().get(namespace, name);
      if (hit) {
        events.lookup?.('cache');
        return { serviceAccount: hit, source: 'cache' };
      }
      // A key the ConfigMap resolves (exact `ns/name`, `prefix*/name`, `*/name`) is found in the cache, as upstream's
      // `Get` (spec 4.3) counts a cmCache hit: answer now with no ServiceAccount and let resolveIdentity take the
      // ConfigMap entry, instead of holding the admission for the grace period. No background GET either: upstream's
      // only warms saCache, while our index is fed by the watch alone (a GET result is handed to waiters, never
      // stored), so it would spend rate-limiter tokens that real misses need and change nothing for this pod.
      if (cmEntries !== undefined && lookupConfigMap(cmEntries, namespace, name) !== undefined) {
        events.lookup?.('cache');
        return { serviceAccount: undefined, source: 'cache' };
      }
      if (grace <= 0 || closed) {
        events.lookup?.('miss');
        return { serviceAccount: undefined, source: 'miss' };
      }
      const key = `${namespace}/${name}`;
      let p = pending.get(key);
      if (!p) {
        p = startPending(namespace, name, key);
        pending.set(key, p);
      }
      const result = await p.promise;
      events.lookup?.(result.source);
      return result;
    },
    configMapEntries: () => cmEntries,
    containerCredentials: () => ccWatch?.current(),
    isSynced: () => saSynced && cmSynced,
    size: () => saWatch.index().size,
    serviceAccounts: () => saWatch.index().values(),
    dump: () => dumpServiceAccountEntries(saWatch.index().values(), settings),
    clear() {
      saWatch.index().clear();
      cmEntries = undefined;
      // upstream's entries come back with the next informer resync; here a relist refills both at once
      saWatch.relist();
      cmWatch?.relist();
    },
    ready: () => (saSynced && cmSynced) || closed ? Promise.resolve() : new Promise<void>((r) => readyWaiters.push(r)),
    async close() {
      closed = true;
      saWatch.stop();
      cmWatch?.stop();
      const ccClosed = ccWatch?.close();
      for (const p of [...pending.values()]) p.settle({ serviceAccount: undefined, source: 'miss' });
      checkReady();
      await Promise.all([saWatch.done, cmWatch?.done, ccClosed]);
    },
  };
}
