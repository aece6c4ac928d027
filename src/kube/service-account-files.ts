/**
 * ServiceAccounts from manifest files (offline mode of the webhook, `irsa inject`, `irsa exec`): a file or a
 * directory of YAML/JSON manifests. Parsing is pure (`parseServiceAccountManifests`); reading is separate.
 * @module
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ManifestError } from './errors.js';
import { isManifestList, readManifestObjects } from './manifests.js';
import { isRecord } from '../lib/is-record.js';
import { parseServiceAccount, type ServiceAccountInfo } from './service-account.js';

/** Options of {@link loadServiceAccountFiles} and {@link parseServiceAccountManifests}. */
export interface ServiceAccountFilesOptions {
  /** Namespace of ServiceAccounts whose manifest sets none (default `default`, as kubectl). */
  defaultNamespace?: string;
}

const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'];

/**
 * Every ServiceAccount in a YAML/JSON text (one or many documents, `List` items included); other kinds ignored.
 * Throws {@link ManifestError} (naming `source` and the document) on a syntax error.
 * @example
 * parseServiceAccountManifests('kind: ServiceAccount\nmetadata: {name: app}\n', 'sa.yaml', 'eks.amazonaws.com');
 * // [{ namespace: 'default', name: 'app', annotations: {} }]
 */
export function parseServiceAccountManifests(
  text: string,
  source: string,
  annotationPrefix: string,
  options: ServiceAccountFilesOptions = {},
): ServiceAccountInfo[] {
  const defaultNamespace = options.defaultNamespace ?? 'default';
  const out: ServiceAccountInfo[] = [];
  for (const { value } of readManifestObjects(text, source)) collectServiceAccounts(value, annotationPrefix, defaultNamespace, out);
  return out;
}

/**
 * Appends to `out` the ServiceAccount a parsed manifest value is, or those among the items of a `List`; other kinds
 * are ignored. For callers that already hold parsed documents (`irsa inject` reads ServiceAccounts from its input).
 * @example
 * const out: ServiceAccountInfo[] = [];
 * collectServiceAccounts(documentValue(doc), 'eks.amazonaws.com', 'default', out);
 */
export function collectServiceAccounts(value: unknown, annotationPrefix: string, defaultNamespace: string, out: ServiceAccountInfo[]): void {
  if (isManifestList(value)) {
    for (const item of value.items) collectServiceAccounts(item, annotationPrefix, defaultNamespace, out);
    return;
  }
  if (!isRecord(value) || value.kind !== 'ServiceAccount') return;
  const sa = parseServiceAccount(value, annotationPrefix, defaultNamespace);
  if (sa !== undefined) out.push(sa);
}

/**
 * Loads the ServiceAccounts of a manifest file, or of every `*.yaml`, `*.yml`, `*.json` file below a directory
 * (sorted; hidden entries such as a mounted ConfigMap's `..data` skipped). Later definitions of the same
 * namespace/name win. Throws {@link ManifestError} for unreadable paths or invalid manifests.
 * @example
 * const accounts = await loadServiceAccountFiles('examples/service-accounts', 'eks.amazonaws.com');
 */
export async function loadServiceAccountFiles(
  path: string,
  annotationPrefix: string,
  options: ServiceAccountFilesOptions = {},
): Promise<ServiceAccountInfo[]> {
  const files = await listManifestFiles(path);
  const byKey = new Map<string, ServiceAccountInfo>();
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new ManifestError(file, undefined, `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    for (const sa of parseServiceAccountManifests(text, file, annotationPrefix, options)) byKey.set(`${sa.namespace}/${sa.name}`, sa);
  }
  return [...byKey.values()];
}

async function listManifestFiles(path: string): Promise<string[]> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    throw new ManifestError(path, undefined, `cannot read ServiceAccount manifests: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
  }
  if (!info.isDirectory()) return [path];
  const out: string[] = [];
  const entries = (await readdir(path, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = join(path, entry.name);
    if (entry.isDirectory()) out.push(...(await listManifestFiles(full)));
    else if (MANIFEST_EXTENSIONS.some((ext) => entry.name.endsWith(ext))) out.push(full);
  }
  return out;
}
