/**
 * Kubernetes knowledge: ServiceAccounts (parsing, manifest files, the list+watch source and its index), manifests
 * (reading with List unwrapping, pod templates, writing), the projected token files of a pod, the plan for running a
 * pod's container outside the cluster and the kubelet-like token refresher, the OpenShift credentials Secret (from
 * CredentialsRequests), the API client (kubeconfig, raw GET and watch) with its list+watch loop and the ConfigMap
 * watch, watching files, and the area's errors. The doctor's checks are a separate entry point
 * (`irsa-kit/kube/doctor`).
 * @module
 */
export { parseServiceAccount } from './service-account.js';
export type { ServiceAccountInfo } from './service-account.js';
export { collectServiceAccounts, loadServiceAccountFiles, parseServiceAccountManifests } from './service-account-files.js';
export type { ServiceAccountFilesOptions } from './service-account-files.js';
export { applyAdditions, documentValue, findPods, getAt, isManifestList, parseManifests, POD_TEMPLATE_PATHS, podServiceAccount, readManifestObjects, stringifyManifests } from './manifests.js';
export type { ManifestDocument, ManifestFormat, ManifestObject, ManifestSet, PodLocation } from './manifests.js';
export { buildCredentialsConfig, buildCredentialsSecret, CREDENTIALS_SECRET_KEY, OPENSHIFT_TOKEN_PATH, parseCredentialsRequests, parseProviderArn, planCredentialsRequestRole, renderCredentialsSecretYaml, skipReason } from './credentials-secret.js';
export type { CredentialsConfigOptions, CredentialsRequest, CredentialsRequestFilterOptions, CredentialsRequestRolePlan, CredentialsSecret, CredentialsSecretOptions, IdentityProviderRef, PlanRoleOptions, SkipReason, StatementEntry } from './credentials-secret.js';
export { checkAwsEndpoint, isPodMutated, placePodRun, planPodRun, SHADOWING_ENV } from './pod-run.js';
export type { LocalPodRun, PodRunOptions, PodRunPlan, PodRunToken } from './pod-run.js';
export { MAX_TOKEN_AGE_MS, refreshJitterMs, TokenRefresher, tokenNeedsRefresh, tokenRefreshAt, writeTokenFileAtomic } from './token-refresher.js';
export type { IssuedToken, RefreshTimers, TokenFileSpec, TokenFileState, TokenRefresherOptions } from './token-refresher.js';
export { expandEnvReferences, findContainerTokenFiles, localTokenPath, resolveContainerEnv, tokenPathRewriter } from './projected-tokens.js';
export type { ContainerSpec, ContainerTokenFile, ContainerTokens, PodSpecLike, TokenVolumeMount } from './projected-tokens.js';
export { createKubeApi, loadKubeConfig } from './api-client.js';
export type { KubeApi, LoadKubeConfigOptions, WatchEvent } from './api-client.js';
export { startListWatch } from './list-watch.js';
export type { ListWatch, ListWatchHandlers, StartListWatchOptions, WatchRestartReason } from './list-watch.js';
export { reduceServiceAccount, ServiceAccountIndex, startServiceAccountWatch } from './service-account-watch.js';
export type { ServiceAccountWatch, ServiceAccountWatchOptions } from './service-account-watch.js';
export { startConfigMapWatch } from './config-map-watch.js';
export type { ConfigMapData, ConfigMapWatch, ConfigMapWatchOptions } from './config-map-watch.js';
export { watchConfigFile, watchPath } from './file-watch.js';
export type { ConfigFileWatch, ConfigReload, PathWatch, WatchConfigFileOptions, WatchPathOptions } from './file-watch.js';
export { KUBE_API_ERROR_CODES, KUBE_ERROR_CODES, KubeApiError, MANIFEST_ERROR_CODES, ManifestError } from './errors.js';
export type { KubeApiErrorCode, KubeErrorCode, KubeStatus, ManifestErrorCode } from './errors.js';
