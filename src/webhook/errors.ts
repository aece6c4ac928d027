/**
 * Errors of the webhook area, each with a stable code.
 * @module
 */
import { IrsaError } from '../lib/errors.js';

export type WebhookErrorCode =
  | 'ERR_CONTAINER_CREDENTIALS_CONFIG'
  | 'ERR_CONFIG_MAP_CONFIG'
  | 'ERR_JSON_PATCH';

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

/** The `pod-identity-webhook` ConfigMap's `data.config` could not be read. */
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
