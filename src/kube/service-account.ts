/**
 * The part of a ServiceAccount the webhook needs. Kept small on purpose: the webhook's cache holds one per
 * ServiceAccount in the cluster (100,000 of them must fit in well under 60 MB).
 * @module
 */
import { isRecord } from '../lib/is-record.js';

/** A ServiceAccount reduced to what identity resolution reads. */
export interface ServiceAccountInfo {
  namespace: string;
  name: string;
  uid?: string;
  /** Only the annotations under the webhook's `--annotation-prefix` (e.g. `eks.amazonaws.com/role-arn`). */
  annotations: Record<string, string>;
}

/**
 * Reduces a ServiceAccount object (from the API or a manifest) to a {@link ServiceAccountInfo}, keeping only the
 * annotations under `<annotationPrefix>/`. Returns `undefined` when the object is not a ServiceAccount (another
 * `kind`, or no `metadata.name`). `defaultNamespace` is used when `metadata.namespace` is absent (manifests).
 * @example
 * parseServiceAccount({ kind: 'ServiceAccount', metadata: { name: 'app', namespace: 'default', annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::111122223333:role/r', other: 'x' } } }, 'eks.amazonaws.com');
 * // { namespace: 'default', name: 'app', annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::111122223333:role/r' } }
 */
export function parseServiceAccount(manifest: unknown, annotationPrefix: string, defaultNamespace = ''): ServiceAccountInfo | undefined {
  if (!isRecord(manifest)) return undefined;
  const m = manifest;
  if (m.kind !== undefined && m.kind !== 'ServiceAccount') return undefined;
  const metadata = m.metadata;
  if (!isRecord(metadata)) return undefined;
  const md = metadata;
  if (typeof md.name !== 'string' || md.name === '') return undefined;
  const namespace = typeof md.namespace === 'string' && md.namespace !== '' ? md.namespace : defaultNamespace;
  const annotations: Record<string, string> = {};
  const raw = md.annotations;
  if (isRecord(raw)) {
    const wanted = `${annotationPrefix}/`;
    for (const [key, value] of Object.entries(raw)) {
      if (key.startsWith(wanted) && typeof value === 'string') annotations[key] = value;
    }
  }
  const info: ServiceAccountInfo = { namespace, name: md.name, annotations };
  if (typeof md.uid === 'string') info.uid = md.uid;
  return info;
}
