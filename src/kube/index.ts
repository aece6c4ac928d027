/**
 * Kubernetes knowledge: ServiceAccounts (parsing, manifest files) and manifests (reading, pod templates, writing).
 * @module
 */
export { parseServiceAccount } from './service-account.js';
export type { ServiceAccountInfo } from './service-account.js';
export { loadServiceAccountFiles, parseServiceAccountManifests } from './service-account-files.js';
export type { ServiceAccountFilesOptions } from './service-account-files.js';
export { applyAdditions, documentValue, findPods, getAt, ManifestError, parseManifests, POD_TEMPLATE_PATHS, stringifyManifests } from './manifests.js';
export type { ManifestDocument, ManifestFormat, ManifestSet, PodLocation } from './manifests.js';
