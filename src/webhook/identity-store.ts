/**
 * The contract between the webhook's HTTP handler and wherever ServiceAccounts come from (the Kubernetes API
 * watch in `kubernetes-identity-store.ts`, manifest files in `file-identity-store.ts`, memory in
 * `memory-identity-store.ts`): the handler asks; the store answers with plain data for the pure core. Also the hooks
 * a store reports to the server's metrics, and what the server needs around a store (debug dump, clear, shutdown).
 * @module
 */
import type { Logger } from 'pino';
import type { WatchRestartReason } from '../kube/list-watch.js';
import type { ServiceAccountInfo } from '../kube/service-account.js';
// Parsed forms defined by the pure identity module (parseConfigMapConfig, parseContainerCredentialsConfig).
import type { ConfigMapEntries, ContainerCredentialsIdentities, IdentityOptions } from './identity.js';

/** How a ServiceAccount lookup was answered: from the cache, by a direct API GET during the grace period, or not at all. */
export type LookupSource = 'cache' | 'api' | 'miss';

export interface ServiceAccountLookup {
  serviceAccount: ServiceAccountInfo | undefined;
  source: LookupSource;
}

/** What the webhook needs to know about identities at admission time. */
export interface IdentityStore {
  /** Finds a ServiceAccount; on a cache miss may wait (watch event or direct GET) up to the lookup grace period. */
  lookupServiceAccount(namespace: string, name: string): Promise<ServiceAccountLookup>;
  /** The parsed `pod-identity-webhook` ConfigMap entries (undefined when none is loaded). */
  configMapEntries(): ConfigMapEntries | undefined;
  /** The parsed Pod Identity (container credentials) config (undefined when none is loaded). */
  containerCredentials(): ContainerCredentialsIdentities | undefined;
  /** True once the first full list of ServiceAccounts has been loaded (drives `/readyz`). */
  isSynced(): boolean;
  /** Number of ServiceAccounts held (metric `cache size`). */
  size(): number;
}

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

/** Options shared by the stores that load their sources (Kubernetes API, files). */
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
