/**
 * The pod identity webhook: identity resolution, the pure pod mutation, JSON Patch helpers and wire names.
 * @module
 */
export {
  buildServiceAccountEntry,
  clampTokenExpiration,
  lookupConfigMap,
  parseConfigMapConfig,
  parseContainerCredentialsConfig,
  resolveIdentity,
} from './identity.js';
export type {
  ConfigMapEntries,
  ContainerCredentialsIdentities,
  IdentityEntry,
  IdentityOptions,
  IdentitySource,
  ResolveIdentityInput,
  ResolvedIdentity,
} from './identity.js';
export { cloneJson, mutatePod } from './mutate.js';
export type { MutatePodOptions, MutatePodResult } from './mutate.js';
export { applyJsonPatch, escapeJsonPointer, parseJsonPointer, unescapeJsonPointer } from './json-patch.js';
export type { JsonPatchOperation } from './json-patch.js';
export { defaultMutationSettings } from './constants.js';
export type { MutationSettings } from './constants.js';
export {
  ADMISSION_REVIEW_ERROR_CODES,
  AdmissionReviewError,
  ConfigMapConfigError,
  ContainerCredentialsConfigError,
  JsonPatchError,
  TLS_CONFIG_ERROR_CODES,
  TlsConfigError,
  WEBHOOK_AREA_ERROR_CODES,
  WEBHOOK_ERROR_CODES,
  WEBHOOK_SHUTDOWN_ERROR_CODES,
  WebhookError,
} from './errors.js';
export type { AdmissionReviewErrorCode, TlsConfigErrorCode, WebhookAreaErrorCode, WebhookErrorCode } from './errors.js';
export { createFileIdentityStore, createKubernetesIdentityStore } from './identity-cache.js';
export type {
  FileIdentityStoreOptions,
  IdentitySourceKind,
  IdentityStoreCommonOptions,
  IdentityStoreEvents,
  KubernetesIdentityStoreOptions,
  ManagedIdentityStore,
} from './identity-cache.js';
export {
  createWebhookCertificates,
  DEFAULT_WEBHOOK_NAMESPACE,
  DEFAULT_WEBHOOK_SERVICE_NAME,
  serviceDnsNames,
  WEBHOOK_CERT_FILES,
  writeWebhookCertificates,
} from './certs.js';
export type { CreateWebhookCertificatesOptions, WebhookCertificates } from './certs.js';
export { ADMISSION_API_VERSIONS, decodeAdmissionReview, encodeAdmissionReview } from './admission.js';
export type { AdmissionApiVersion, AdmissionRequest, AdmissionResponse, DecodedAdmissionReview } from './admission.js';
export { createAdmissionHandler } from './handler.js';
export type { AdmissionHandler, AdmissionHandlerOptions, AdmissionOutcome } from './handler.js';
export { isJsonContentType, MAX_REVIEW_BYTES, startWebhookServer } from './server.js';
export type { ShutdownResult, WebhookServer, WebhookServerConfig, WebhookServerDeps } from './server.js';
export type { IdentityStoreExtras } from './metrics-server.js';
export { createWebhookMetrics, SumCountSummary } from './metrics.js';
export type { AdmissionResult, MetricsSource, MetricsStoreEvents, PodIdentityMethod, WebhookMetrics } from './metrics.js';
export {
  ACCEPTED_CIPHER_SUITES,
  CertificateReloader,
  loadCertificatePair,
  parseTlsCipherSuites,
  parseTlsMinVersion,
  tlsSettingsFromFlags,
} from './tls.js';
export type { CertificatePair, CertificateReloaderOptions, TlsSettings } from './tls.js';
