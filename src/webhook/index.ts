/**
 * The pod identity webhook: identity resolution, the pure pod mutation, JSON Patch helpers, the AdmissionReview
 * codec and admission handler, the identity stores (Kubernetes API, files, memory) and the ConfigMap file reader,
 * the HTTPS server with its TLS settings, certificates and metrics, the default mutation settings and the area's
 * errors.
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
export { createFileIdentityStore } from './file-identity-store.js';
export type { FileIdentityStoreOptions } from './file-identity-store.js';
export { createKubernetesIdentityStore } from './kubernetes-identity-store.js';
export type { KubernetesIdentityStoreOptions } from './kubernetes-identity-store.js';
export { MemoryIdentityStore } from './memory-identity-store.js';
export type { MemoryIdentityStoreOptions } from './memory-identity-store.js';
export { parseConfigMapFile } from './config-map-file.js';
export type { ConfigMapFile } from './config-map-file.js';
export type {
  IdentityChange,
  IdentitySourceKind,
  IdentityStore,
  IdentityStoreCommonOptions,
  IdentityStoreEvents,
  LookupSource,
  ManagedIdentityStore,
  ServiceAccountLookup,
} from './identity-store.js';
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
