/**
 * The contract between the webhook's HTTP handler and wherever ServiceAccounts come from (the Kubernetes API
 * watch, manifest files, a test fake). The handler asks; the store answers with plain data for the pure core.
 * @module
 */
import type { ServiceAccountInfo } from '../kube/service-account.js';
// Parsed forms defined by the pure identity module (parseConfigMapConfig, parseContainerCredentialsConfig).
import type { ConfigMapEntries, ContainerCredentialsIdentities } from './identity.js';

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
