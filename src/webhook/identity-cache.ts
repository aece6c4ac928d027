/**
 * The two `IdentityStore`s the webhook runs with: one fed by the Kubernetes API (ServiceAccount list+watch, the
 * `pod-identity-webhook` ConfigMap, the Pod Identity config file), with a grace-period lookup that closes upstream's
 * creation race; and one fed by files (offline mode, `irsa up`, tests).
 * @module
 */
import { pino, type Logger } from 'pino';
import { parseAllDocuments } from 'yaml';
import type { ServiceAccountInfo } from '../kube/service-account.js';
import { createKubeApi, loadKubeConfig, type KubeApi, type StartListWatchOptions, type WatchRestartReason } from '../kube/api-client.js';
import { reduceServiceAccount, ServiceAccountIndex, startServiceAccountWatch, type ServiceAccountWatch } from '../kube/service-account-watch.js';
import { startConfigMapWatch, type ConfigMapData, type ConfigMapWatch } from '../kube/config-map-watch.js';
import { watchConfigFile, watchPath, type ConfigFileWatch, type PathWatch } from '../kube/file-watch.js';
import { loadServiceAccountFiles } from '../kube/service-account-files.js';
import { CONFIG_MAP_KEY, CONFIG_MAP_NAME, DEFAULT_ANNOTATION_PREFIX, defaultMutationSettings } from './constants.js';
import {
  buildServiceAccountEntry,
  lookupConfigMap,
  parseConfigMapConfig,
  parseContainerCredentialsConfig,
  type ConfigMapEntries,
  type ContainerCredentialsIdentities,
  type IdentityOptions,
} from './identity.js';
import type { IdentityStore, LookupSource, ServiceAccountLookup } from './identity-store.js';
import { ConfigMapConfigError } from './errors.js';

/** Which source an event is about. */
export type IdentitySourceKind = 'serviceaccounts' | 'configmap' | 'container-credentials';

/**
 * Hooks the server counts in its metrics. Every member is optional; none may throw.
 * @example
 * const events: IdentityStoreEvents = { lookup: (source) => lookups.inc({ source }) };
 */
export interface IdentityStoreEvents {
  /** A list+watch loop started over: `gone` (410, relist), `error`, `dropped` (connection), `closed` (server ended the stream). */
  watchRestarted?(kind: 'serviceaccounts' | 'configmap', reason: WatchRestartReason): void;
  /** A `lookupServiceAccount` was answered from `cache`, by a direct `api` GET, or not at all (`miss`). */
  lookup?(source: LookupSource): void;
  /** A source was (re)loaded: `ok` false when its new content was rejected and the last good one kept. */
  configReloaded?(kind: IdentitySourceKind, ok: boolean): void;
  /** The first full load of ServiceAccounts completed (readiness). */
  synced?(): void;
  /** The identity data changed: one ServiceAccount set or deleted, or `reset` (a reload, relist, ConfigMap or config change). */
  changed?(change: IdentityChange): void;
}

/** What `IdentityStoreEvents.changed` reports (workers keep a copy up to date with it). */
export type IdentityChange =
  | { type: 'set'; serviceAccount: ServiceAccountInfo }
  | { type: 'delete'; namespace: string; name: string }
  | { type: 'reset' };

/** An `IdentityStore` with what the server needs around it: debug dump and clear, and shutdown. */
export interface ManagedIdentityStore extends IdentityStore {
  /** Upstream's `/debug/alpha/cache` body (spec 4.7): the ServiceAccount entries, keys sorted, one-space indent. */
  dump(): string;
  /** `/debug/alpha/cache/clear`: empties the caches (they refill on the next event, relist or file reload). */
  clear(): void;
  /** Resolves once `isSynced()` is true (or the store is closed). */
  ready(): Promise<void>;
  /** Stops watches and timers; pending lookups resolve as misses. */
  close(): Promise<void>;
  /** Every ServiceAccount held now (a snapshot for workers). */
  serviceAccounts(): Iterable<ServiceAccountInfo>;
}

/** Options shared by both stores. */
export interface IdentityStoreCommonOptions {
  /** `--annotation-prefix` (default `eks.amazonaws.com`). */
  annotationPrefix?: string;
  /** `--watch-container-credentials-config`: the Pod Identity config file ('' or undefined = none). */
  containerCredentialsConfig?: string | undefined;
  /** Flags used to render `dump()` entries as upstream does (audience, expiration, regional STS, compose ARN). */
  dumpSettings?: Partial<IdentityOptions>;
  logger?: Logger;
  events?: IdentityStoreEvents;
  /** File polling interval backing up fs.watch (ms); default 5000, 0 = events only. */
  filePollIntervalMs?: number;
}

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

export interface FileIdentityStoreOptions extends IdentityStoreCommonOptions {
  /** `--service-accounts FILE|DIR`: ServiceAccount manifests (YAML or JSON, multi-document, `List`s), watched. */
  serviceAccounts?: string | undefined;
  /** `--config-map FILE`: a ConfigMap manifest (its `data.config`) or the bare config JSON, watched. */
  configMap?: string | undefined;
}

const silentLogger = (): Logger => pino({ level: 'silent' });

function dumpEntries(sas: Iterable<ServiceAccountInfo>, settings: IdentityOptions): string {
  const keyed: Array<[string, ServiceAccountInfo]> = [];
  for (const sa of sas) keyed.push([`${sa.namespace}/${sa.name}`, sa]);
  keyed.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: Record<string, unknown> = {};
  for (const [key, sa] of keyed) {
    const e = buildServiceAccountEntry(sa, settings);
    out[key] = { RoleARN: e.roleArn, Audience: e.audience, UseRegionalSTS: e.useRegionalSts, TokenExpiration: e.tokenExpiration };
  }
  return JSON.stringify(out, null, 1);
}

function dumpSettingsOf(options: IdentityStoreCommonOptions): IdentityOptions {
  return { ...defaultMutationSettings(), ...options.dumpSettings, annotationPrefix: options.annotationPrefix ?? DEFAULT_ANNOTATION_PREFIX };
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

/** Watches the Pod Identity config file when a path is set; keeps the last good identities. */
function watchContainerCredentials(options: IdentityStoreCommonOptions, logger: Logger, events: IdentityStoreEvents): ConfigFileWatch<ContainerCredentialsIdentities> | undefined {
  const path = options.containerCredentialsConfig;
  if (!path) return undefined;
  return watchConfigFile({
    path,
    parse: parseContainerCredentialsConfig,
    ...(options.filePollIntervalMs !== undefined ? { pollIntervalMs: options.filePollIntervalMs } : {}),
    onReload(result) {
      if (result.ok) logger.info({ path, identities: result.value.identities.size }, 'loaded Pod Identity config');
      else logger.error({ path, err: result.error.message }, 'Pod Identity config rejected; keeping the last good one and retrying');
      events.configReloaded?.('container-credentials', result.ok);
    },
  });
}

/** A token bucket: `take(deadline)` waits for a token unless none would come before `deadline`. */
class TokenBucket {
  #tokens: number;
  #last: number;
  constructor(
    readonly perMs: number,
    readonly burst: number,
    readonly now: () => number,
  ) {
    this.#tokens = burst;
    this.#last = now();
  }
  /** Reserves a token; returns the wait in ms before using it, or -1 when it would come after `deadline`. */
  reserve(deadline: number): number {
    const t = this.now();
    this.#tokens = Math.min(this.burst, this.#tokens + (t - this.#last) * this.perMs);
    this.#last = t;
    const wait = this.#tokens >= 1 ? 0 : (1 - this.#tokens) / this.perMs;
    if (t + wait > deadline) return -1;
    this.#tokens -= 1;
    return wait;
  }
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
  const logger = options.logger ?? silentLogger();
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

    const sleep = (ms: number): Promise<void> =>
      new Promise((r) => {
        const done = (): void => {
          clearTimeout(t);
          abort.signal.removeEventListener('abort', done);
          r();
        };
        const t = setTimeout(done, ms);
        abort.signal.addEventListener('abort', done, { once: true });
      });

    void (async () => {
      let attempt = 0;
      while (!settled) {
        const wait = bucket.reserve(deadline);
        if (wait < 0) return; // rate limited past the deadline: only the watch can answer now
        if (wait > 0) await sleep(wait);
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
        await sleep(Math.min(25 * 2 ** attempt++, 400));
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
    dump: () => dumpEntries(saWatch.index().values(), settings),
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

/** Extracts `data.config` from a ConfigMap manifest file, or takes the file as the bare config JSON. */
function configFromConfigMapFile(content: string): string {
  if (content.trim() === '') return '{}';
  let asJson: unknown;
  try {
    asJson = JSON.parse(content);
  } catch {
    asJson = undefined;
  }
  if (asJson !== undefined && !isConfigMap(asJson)) return content; // the bare config JSON
  const docs = asJson !== undefined ? [asJson] : parseAllDocuments(content).map((d) => {
    if (d.errors.length > 0) throw new ConfigMapConfigError(`not YAML: ${d.errors[0]!.message}`);
    return d.toJSON() as unknown;
  });
  const maps = docs.flatMap((d) => (isList(d) ? (d as { items: unknown[] }).items : [d])).filter(isConfigMap);
  const chosen = maps.find((m) => m.metadata?.name === CONFIG_MAP_NAME) ?? (maps.length === 1 ? maps[0] : undefined);
  if (!chosen) throw new ConfigMapConfigError(`no ConfigMap named ${CONFIG_MAP_NAME} in the file`);
  const config = chosen.data?.[CONFIG_MAP_KEY];
  if (config === undefined) return '{}';
  if (typeof config !== 'string') throw new ConfigMapConfigError(`data.${CONFIG_MAP_KEY} must be a string holding JSON`);
  return config;
}

function isConfigMap(v: unknown): v is { kind: 'ConfigMap'; metadata?: { name?: string }; data?: Record<string, unknown> } {
  return !!v && typeof v === 'object' && (v as { kind?: unknown }).kind === 'ConfigMap';
}

function isList(v: unknown): boolean {
  return !!v && typeof v === 'object' && Array.isArray((v as { items?: unknown }).items) && typeof (v as { kind?: unknown }).kind === 'string' && (v as { kind: string }).kind.endsWith('List');
}

/**
 * The offline store: ServiceAccounts from manifest files (`--service-accounts FILE|DIR`), the ConfigMap from a file
 * (`--config-map FILE`), the Pod Identity config file; all watched (in-place edits, atomic renames, `..data` swaps),
 * and a file that fails to parse keeps the last good content. Lookups never wait: a miss is a miss.
 * @example
 * const store = createFileIdentityStore({ serviceAccounts: './manifests', annotationPrefix: 'eks.amazonaws.com' });
 * await store.ready();
 */
export function createFileIdentityStore(options: FileIdentityStoreOptions = {}): ManagedIdentityStore {
  const logger = options.logger ?? silentLogger();
  const events = options.events ?? {};
  const annotationPrefix = options.annotationPrefix ?? DEFAULT_ANNOTATION_PREFIX;
  const settings = dumpSettingsOf(options);
  const pollOpt = options.filePollIntervalMs !== undefined ? { pollIntervalMs: options.filePollIntervalMs } : {};
  let index = new ServiceAccountIndex();
  let saLoaded = !options.serviceAccounts;
  let cmLoaded = !options.configMap;
  let cleared = false;
  const readyWaiters: Array<() => void> = [];
  const checkReady = (): void => {
    if (saLoaded && cmLoaded) for (const w of readyWaiters.splice(0)) w();
  };

  let saWatch: PathWatch | undefined;
  if (options.serviceAccounts) {
    const path = options.serviceAccounts;
    saWatch = watchPath({
      path,
      ...pollOpt,
      async onChange(signal) {
        try {
          const loaded = await loadServiceAccountFiles(path, annotationPrefix);
          if (signal.aborted) return; // closed while reading: nothing is applied or reported
          const next = new ServiceAccountIndex();
          for (const sa of loaded) next.set(sa);
          index = next;
          events.changed?.({ type: 'reset' });
          logger.info({ path, serviceAccounts: next.size }, 'loaded ServiceAccount manifests');
          events.configReloaded?.('serviceaccounts', true);
          if (!saLoaded) {
            saLoaded = true;
            events.synced?.();
            checkReady();
          }
        } catch (err) {
          if (signal.aborted) return;
          logger.error({ path, err: (err as Error).message }, 'ServiceAccount manifests rejected; keeping the last good set');
          events.configReloaded?.('serviceaccounts', false);
          if (!saLoaded) {
            // a broken file at start still leaves the server usable (empty set), as every later reload would
            saLoaded = true;
            checkReady();
          }
        }
      },
    });
  }

  let cmWatch: ConfigFileWatch<ConfigMapEntries> | undefined;
  if (options.configMap) {
    const path = options.configMap;
    cmWatch = watchConfigFile({
      path,
      ...pollOpt,
      parse(content) {
        const { entries, errors, syntaxError } = parseConfigMapConfig(configFromConfigMapFile(content));
        // invalid JSON rejects the whole file: the last good entries stay
        if (syntaxError !== undefined) throw new ConfigMapConfigError(`data.${CONFIG_MAP_KEY} is not valid JSON: ${syntaxError}`);
        for (const message of errors) logger.warn({ source: path }, message);
        return entries;
      },
      onReload(result) {
        if (result.ok) cleared = false;
        else logger.error({ path, err: result.error.message }, 'ConfigMap file rejected; keeping the last good entries');
        events.configReloaded?.('configmap', result.ok);
        if (!cmLoaded) {
          cmLoaded = true;
          checkReady();
        }
      },
    });
  }

  const ccWatch = watchContainerCredentials(options, logger, events);

  return {
    async lookupServiceAccount(namespace, name) {
      const hit = index.get(namespace, name);
      const source: LookupSource = hit ? 'cache' : 'miss';
      events.lookup?.(source);
      return { serviceAccount: hit, source };
    },
    configMapEntries: () => (cleared ? undefined : cmWatch?.current()),
    containerCredentials: () => ccWatch?.current(),
    isSynced: () => saLoaded && cmLoaded,
    size: () => index.size,
    serviceAccounts: () => index.values(),
    dump: () => dumpEntries(index.values(), settings),
    clear() {
      index = new ServiceAccountIndex();
      cleared = true;
    },
    ready: () => (saLoaded && cmLoaded ? Promise.resolve() : new Promise<void>((r) => readyWaiters.push(r))),
    async close() {
      saLoaded = cmLoaded = true;
      checkReady();
      await Promise.all([saWatch?.close(), cmWatch?.close(), ccWatch?.close()]);
    },
  };
}
