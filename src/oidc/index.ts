/**
 * The service-account issuer: signing keys and `kid`, Kubernetes-shaped token minting and verification, the issuer
 * URL, discovery document and JWKS (built, written to a directory, served), the IAM thumbprint, the issuer's wire
 * names and the area's errors. Knows nothing of Kubernetes watches or IAM policy.
 * @module
 */
export {
  CONTENT_TYPE_JSON,
  CONTENT_TYPE_JWK_SET,
  DEFAULT_EXPIRATION_SECONDS,
  DISCOVERY_PATH,
  ISSUER_CACHE_CONTROL,
  KUBERNETES_JWKS_PATH,
  MAX_EXPIRATION_SECONDS,
  MIN_EXPIRATION_SECONDS,
  PUBLIC_KEY_FILE,
  S3_JWKS_PATH,
  SIGNING_KEY_FILE,
} from './constants.js';
export { OIDC_ERROR_CODES, OidcError } from './errors.js';
export type { OidcErrorCode } from './errors.js';
export { keyIdFromPublicKey } from './kid.js';
export {
  assertPemKeyStrength,
  assertRsaKeyStrength,
  createSigningKey,
  ensureSigningKeyPair,
  exportPrivateKeyPem,
  exportPublicKeyPem,
  generateSigningKeyPair,
  MIN_RSA_BITS,
  parsePublicKeysPem,
  parseSigningKeyPem,
  readPublicKeyFiles,
  readSigningKeyFile,
  signingAlgorithm,
  writeSigningKeyPair,
} from './keys.js';
export type {
  EnsuredSigningKeyPair,
  GenerateSigningKeyPairOptions,
  RsaKeyBits,
  SigningAlgorithm,
  SigningKey,
  SigningKeyType,
  WriteSigningKeyPairOptions,
  WrittenSigningKeyPair,
} from './keys.js';
export { buildJwks, publicKeyToJwk, serializeJwks } from './jwks.js';
export type { EcServiceAccountJwk, RsaServiceAccountJwk, ServiceAccountJwk, ServiceAccountJwks } from './jwks.js';
export { issuerDocumentUrl, validateIssuerUrl } from './issuer.js';
export type { ValidatedIssuer } from './issuer.js';
export { buildDiscoveryDocument, buildIssuerDocuments, jwksPath } from './discovery.js';
export type { BuildIssuerDocumentsOptions, IssuerDocuments, IssuerDocumentStyle, IssuerFile, IssuerLayout, OpenIdConfiguration } from './discovery.js';
export { readIssuerDirectory, writeIssuerDocuments } from './publish.js';
export type { IssuerDirectory } from './publish.js';
export { buildServiceAccountClaims, checkExpirationSeconds, mintServiceAccountToken } from './token.js';
export type {
  KubernetesClaim,
  MintedServiceAccountToken,
  MintServiceAccountTokenOptions,
  ObjectRef,
  ServiceAccountTokenClaims,
} from './token.js';
export { verifyServiceAccountToken } from './verify.js';
export type { VerifyServiceAccountTokenOptions } from './verify.js';
export { certificateThumbprint, fetchIssuerThumbprint, selectThumbprintCertificate, thumbprintFromChain } from './thumbprint.js';
export type { FetchThumbprintOptions, IssuerThumbprint } from './thumbprint.js';
export { createIssuerRequestListener, createIssuerServer, createIssuerSite, handleIssuerRequest } from './issuer-server.js';
export type { CreateIssuerServerOptions, IssuerRequest, IssuerResponse, IssuerServer, IssuerSite } from './issuer-server.js';
