/**
 * Errors of the webhook area, each with a stable code.
 * @module
 */
import { IrsaError } from '../lib/errors.js';

/** Every code a {@link WebhookError} can carry. */
export const WEBHOOK_ERROR_CODES = ['ERR_CONTAINER_CREDENTIALS_CONFIG', 'ERR_CONFIG_MAP_CONFIG', 'ERR_JSON_PATCH'] as const;
export type WebhookErrorCode = (typeof WEBHOOK_ERROR_CODES)[number];

/** Codes of {@link TlsConfigError}: bad `--tls-*` flags or certificate files. */
export const TLS_CONFIG_ERROR_CODES = ['ERR_TLS_MIN_VERSION', 'ERR_TLS_CIPHER_SUITE', 'ERR_TLS_CERTIFICATE'] as const;
export type TlsConfigErrorCode = (typeof TLS_CONFIG_ERROR_CODES)[number];

/** Code of {@link AdmissionReviewError}: a `/mutate` body answered 400. */
export const ADMISSION_REVIEW_ERROR_CODES = ['ERR_ADMISSION_REVIEW_INVALID'] as const;
export type AdmissionReviewErrorCode = (typeof ADMISSION_REVIEW_ERROR_CODES)[number];

/** Code `irsa webhook` exits with (a plain `IrsaError`, src/cli/webhook.ts) when its graceful shutdown failed. */
export const WEBHOOK_SHUTDOWN_ERROR_CODES = ['ERR_WEBHOOK_SHUTDOWN'] as const;

/** Every code of the webhook area, whichever class carries it (the area's registry; docs/errors.md lists each). */
export const WEBHOOK_AREA_ERROR_CODES = [
  ...WEBHOOK_ERROR_CODES,
  ...TLS_CONFIG_ERROR_CODES,
  ...ADMISSION_REVIEW_ERROR_CODES,
  ...WEBHOOK_SHUTDOWN_ERROR_CODES,
] as const;
export type WebhookAreaErrorCode = (typeof WEBHOOK_AREA_ERROR_CODES)[number];

/** Base of webhook errors; `code` narrows with `switch`. */
export class WebhookError extends IrsaError {
  declare readonly code: WebhookErrorCode;
  constructor(code: WebhookErrorCode, message: string, options: { cause?: unknown; exitCode?: number } = {}) {
    super(code, message, options);
  }
}

/** The Pod Identity (container credentials) config file is not valid JSON of the expected shape; keep the last good one. */
export class ContainerCredentialsConfigError extends WebhookError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('ERR_CONTAINER_CREDENTIALS_CONFIG', message, { ...options, exitCode: 2 });
  }
}

/** The `pod-identity-webhook` ConfigMap file (`--config-map FILE`) cannot be read: not YAML, no such ConfigMap, `data.config` not a string or not JSON. */
export class ConfigMapConfigError extends WebhookError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('ERR_CONFIG_MAP_CONFIG', message, { ...options, exitCode: 2 });
  }
}

/** A JSON Patch could not be applied (missing parent, bad index, unsupported op). */
export class JsonPatchError extends WebhookError {
  constructor(message: string) {
    super('ERR_JSON_PATCH', message);
  }
}

/** A TLS setting the user gave is not one upstream accepts, or the certificate files are unusable. */
export class TlsConfigError extends IrsaError {
  declare readonly code: TlsConfigErrorCode;
  constructor(code: TlsConfigErrorCode, message: string, options: { cause?: unknown; field?: string } = {}) {
    super(code, message, { ...options, exitCode: 2 });
  }
}

/** The body is not an AdmissionReview the webhook can answer (HTTP 400; the API server applies `failurePolicy`). */
export class AdmissionReviewError extends IrsaError {
  declare readonly code: AdmissionReviewErrorCode;
  readonly statusCode = 400;
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('ERR_ADMISSION_REVIEW_INVALID', message, options);
  }
}
