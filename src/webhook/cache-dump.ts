/**
 * Upstream's `/debug/alpha/cache` body (spec 4.7), the same for every store: each ServiceAccount's entry as the
 * flags and its annotations make it, keys `namespace/name` sorted, one-space indent.
 * @module
 */
import type { ServiceAccountInfo } from '../kube/service-account.js';
import { DEFAULT_ANNOTATION_PREFIX, defaultMutationSettings } from './constants.js';
import { buildServiceAccountEntry, type IdentityOptions } from './identity.js';

/**
 * The dump of `serviceAccounts` rendered with `settings`.
 * @example
 * dumpServiceAccountEntries(index.values(), dumpSettingsOf({ annotationPrefix: 'eks.amazonaws.com' }));
 */
export function dumpServiceAccountEntries(serviceAccounts: Iterable<ServiceAccountInfo>, settings: IdentityOptions): string {
  const keyed: Array<[string, ServiceAccountInfo]> = [];
  for (const sa of serviceAccounts) keyed.push([`${sa.namespace}/${sa.name}`, sa]);
  keyed.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: Record<string, unknown> = {};
  for (const [key, sa] of keyed) {
    const e = buildServiceAccountEntry(sa, settings);
    out[key] = { RoleARN: e.roleArn, Audience: e.audience, UseRegionalSTS: e.useRegionalSts, TokenExpiration: e.tokenExpiration };
  }
  return JSON.stringify(out, null, 1);
}

/** The settings a store renders its dump with: the defaults, the flags it was given, its annotation prefix. */
export function dumpSettingsOf(options: { annotationPrefix?: string | undefined; dumpSettings?: Partial<IdentityOptions> | undefined }): IdentityOptions {
  return { ...defaultMutationSettings(), ...options.dumpSettings, annotationPrefix: options.annotationPrefix ?? DEFAULT_ANNOTATION_PREFIX };
}
