/**
 * Errors of the Kubernetes area, each with a stable code: {@link KubeApiError} (API server calls and watches) and
 * {@link ManifestError} (manifest files). The code lists are the area's registry that docs/errors.md and
 * test/lib/errors-registry.test.ts check.
 * @module
 */
import { IrsaError } from '../lib/errors.js';

/** Codes of `KubeApiError`: loading the cluster connection, and each way a GET, list or watch can fail. */
export const KUBE_API_ERROR_CODES = [
  'ERR_KUBE_CONFIG',
  'ERR_KUBE_API_REQUEST',
  'ERR_KUBE_API_STATUS',
  'ERR_KUBE_WATCH_DECODE',
  'ERR_KUBE_WATCH_DROPPED',
  'ERR_KUBE_WATCH_ERROR',
] as const;
export type KubeApiErrorCode = (typeof KUBE_API_ERROR_CODES)[number];

/** Code of `ManifestError`: a manifest the user gave cannot be read or lacks a field (exit 2). */
export const MANIFEST_ERROR_CODES = ['ERR_MANIFEST'] as const;
export type ManifestErrorCode = (typeof MANIFEST_ERROR_CODES)[number];

/** Every code of the Kubernetes area. */
export const KUBE_ERROR_CODES = [...KUBE_API_ERROR_CODES, ...MANIFEST_ERROR_CODES] as const;
export type KubeErrorCode = (typeof KUBE_ERROR_CODES)[number];

/** The API's `Status` object (`kind: Status`), as sent in error bodies and watch ERROR events. */
export interface KubeStatus {
  kind?: string;
  apiVersion?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
}

/** Why a Kubernetes API call failed; `status` is the HTTP status (0 for a network error or timeout). */
export class KubeApiError extends IrsaError {
  declare readonly code: KubeApiErrorCode;
  readonly status: number;
  /** The Kubernetes `Status` object from the body, when the server sent one. */
  readonly kubeStatus: KubeStatus | undefined;
  constructor(code: KubeApiErrorCode, message: string, options: { status?: number; kubeStatus?: KubeStatus; cause?: unknown; field?: string } = {}) {
    super(code, message, { ...(options.cause === undefined ? {} : { cause: options.cause }), ...(options.field === undefined ? {} : { field: options.field }) });
    this.status = options.status ?? 0;
    this.kubeStatus = options.kubeStatus;
  }
}

/** Bad manifest input: the message names the source, the document (1-based) and the field. Exit code 2. */
export class ManifestError extends IrsaError {
  declare readonly code: ManifestErrorCode;
  readonly source: string;
  readonly documentIndex: number | undefined;
  constructor(source: string, documentIndex: number | undefined, message: string) {
    super('ERR_MANIFEST', `${source}${documentIndex === undefined ? '' : `, document ${documentIndex + 1}`}: ${message}`, { exitCode: 2 });
    this.source = source;
    this.documentIndex = documentIndex;
  }
}
