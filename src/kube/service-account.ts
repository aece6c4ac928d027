/**
 * The part of a ServiceAccount the webhook needs. Kept small on purpose: the webhook's cache holds one per
 * ServiceAccount in the cluster (100,000 of them must fit in well under 60 MB).
 * @module
 */

/** A ServiceAccount reduced to what identity resolution reads. */
export interface ServiceAccountInfo {
  namespace: string;
  name: string;
  uid?: string;
  /** Only the annotations under the webhook's `--annotation-prefix` (e.g. `eks.amazonaws.com/role-arn`). */
  annotations: Record<string, string>;
}
