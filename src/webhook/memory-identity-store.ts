/**
 * The in-memory `IdentityStore`: ServiceAccounts, ConfigMap entries and the Pod Identity config held as given.
 * `irsa inject`, `irsa exec` and `irsa doctor` resolve pods through it, the file store keeps what it loads in one,
 * and tests and benchmarks serve the webhook from one. Lookups never wait: a miss is a miss.
 * @module
 */
import type { ServiceAccountInfo } from '../kube/service-account.js';
import { ServiceAccountIndex } from '../kube/service-account-watch.js';
import { dumpServiceAccountEntries, dumpSettingsOf } from './cache-dump.js';
import type { ConfigMapEntries, ContainerCredentialsIdentities, IdentityOptions } from './identity.js';
import type { IdentityStoreEvents, ManagedIdentityStore, ServiceAccountLookup } from './identity-store.js';

export interface MemoryIdentityStoreOptions {
  serviceAccounts?: Iterable<ServiceAccountInfo>;
  /** The parsed `pod-identity-webhook` ConfigMap (`parseConfigMapFile`, `parseConfigMapConfig`). */
  configMap?: ConfigMapEntries | undefined;
  /** The parsed Pod Identity config (`parseContainerCredentialsConfig`). */
  containerCredentials?: ContainerCredentialsIdentities | undefined;
  /** Whether `isSynced()` starts true (default true: everything is already here). */
  synced?: boolean;
  /** `--annotation-prefix`, for `dump()` (default `eks.amazonaws.com`). */
  annotationPrefix?: string;
  /** Flags used to render `dump()` entries as upstream does. */
  dumpSettings?: Partial<IdentityOptions>;
  /** Only `lookup` is reported (the metrics' lookup counter). */
  events?: Pick<IdentityStoreEvents, 'lookup'>;
}

/**
 * An identity store over values in memory; the setters replace what it holds.
 * @example
 * const store = new MemoryIdentityStore({ serviceAccounts: [{ namespace: 'default', name: 'app', annotations: { 'eks.amazonaws.com/role-arn': arn } }] });
 * const { serviceAccount, source } = await store.lookupServiceAccount('default', 'app'); // source 'cache'
 */
export class MemoryIdentityStore implements ManagedIdentityStore {
  #index = new ServiceAccountIndex();
  #configMap: ConfigMapEntries | undefined;
  #containerCredentials: ContainerCredentialsIdentities | undefined;
  #synced: boolean;
  #readyWaiters: Array<() => void> = [];
  readonly #settings: IdentityOptions;
  readonly #events: Pick<IdentityStoreEvents, 'lookup'>;

  constructor(options: MemoryIdentityStoreOptions = {}) {
    for (const sa of options.serviceAccounts ?? []) this.#index.set(sa);
    this.#configMap = options.configMap;
    this.#containerCredentials = options.containerCredentials;
    this.#synced = options.synced ?? true;
    this.#settings = dumpSettingsOf(options);
    this.#events = options.events ?? {};
  }

  /** The ServiceAccount `namespace/name`, if held (no lookup event). */
  get(namespace: string, name: string): ServiceAccountInfo | undefined {
    return this.#index.get(namespace, name);
  }

  /** Adds or replaces one ServiceAccount. */
  set(serviceAccount: ServiceAccountInfo): this {
    this.#index.set(serviceAccount);
    return this;
  }

  /** Removes the ServiceAccount `namespace/name`, if held. */
  delete(namespace: string, name: string): void {
    this.#index.delete(namespace, name);
  }

  /** Replaces every ServiceAccount with `serviceAccounts`. */
  replaceServiceAccounts(serviceAccounts: Iterable<ServiceAccountInfo>): void {
    const next = new ServiceAccountIndex();
    for (const sa of serviceAccounts) next.set(sa);
    this.#index = next;
  }

  setConfigMap(entries: ConfigMapEntries | undefined): void {
    this.#configMap = entries;
  }

  setContainerCredentials(identities: ContainerCredentialsIdentities | undefined): void {
    this.#containerCredentials = identities;
  }

  /** Sets what `isSynced()` answers (`/readyz`); true resolves `ready()`. */
  setSynced(synced: boolean): void {
    this.#synced = synced;
    if (synced) for (const w of this.#readyWaiters.splice(0)) w();
  }

  async lookupServiceAccount(namespace: string, name: string): Promise<ServiceAccountLookup> {
    const serviceAccount = this.#index.get(namespace, name);
    const source = serviceAccount ? 'cache' : 'miss';
    this.#events.lookup?.(source);
    return { serviceAccount, source };
  }

  configMapEntries(): ConfigMapEntries | undefined {
    return this.#configMap;
  }

  containerCredentials(): ContainerCredentialsIdentities | undefined {
    return this.#containerCredentials;
  }

  isSynced(): boolean {
    return this.#synced;
  }

  size(): number {
    return this.#index.size;
  }

  serviceAccounts(): Iterable<ServiceAccountInfo> {
    return this.#index.values();
  }

  dump(): string {
    return dumpServiceAccountEntries(this.#index.values(), this.#settings);
  }

  /** Empties the ServiceAccounts and the ConfigMap entries (the Pod Identity config stays, as upstream's clear). */
  clear(): void {
    this.#index = new ServiceAccountIndex();
    this.#configMap = undefined;
  }

  ready(): Promise<void> {
    return this.#synced ? Promise.resolve() : new Promise<void>((r) => this.#readyWaiters.push(r));
  }

  /** Resolves pending `ready()` calls; the values stay readable. */
  async close(): Promise<void> {
    for (const w of this.#readyWaiters.splice(0)) w();
  }
}
