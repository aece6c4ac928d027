/**
 * Error codes of the Kubernetes area. Its classes live beside the code that raises them — `KubeApiError` in
 * `api-client.ts` (API server calls and watches), `ManifestError` in `manifests.ts` (manifest files) — and their
 * codes are listed here, the area's registry that docs/errors.md and test/lib/errors-registry.test.ts check.
 * @module
 */

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

/** Every code of the Kubernetes area. */
export const KUBE_ERROR_CODES = [...KUBE_API_ERROR_CODES, ...MANIFEST_ERROR_CODES] as const;
export type KubeErrorCode = (typeof KUBE_ERROR_CODES)[number];
