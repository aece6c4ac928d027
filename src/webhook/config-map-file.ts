/**
 * The `pod-identity-webhook` ConfigMap read from a file, one way for every reader (`irsa inject`, `irsa exec`,
 * `irsa doctor`, `irsa up` and the webhook's file store). Pure: text in, entries out. The shapes a file may take:
 *
 * - empty (or only comments): no entries, as a missing file or ConfigMap;
 * - the bare `data.config` JSON (one JSON object with no `kind`): `{"ns/sa": {"RoleARN": ...}}`;
 * - YAML or JSON manifests, one or many documents, `List`s unwrapped: the ConfigMap named `pod-identity-webhook`
 *   (other objects are ignored; ConfigMaps with other names are refused, since the webhook reads only that one).
 * @module
 */
import { documentValue, isManifestList, parseManifests, type ManifestDocument } from '../kube/manifests.js';
import { ManifestError } from '../kube/errors.js';
import { isRecord } from '../lib/is-record.js';
import { CONFIG_MAP_KEY, CONFIG_MAP_NAME } from './constants.js';
import { ConfigMapConfigError } from './errors.js';
import { parseConfigMapConfig, type ConfigMapEntries } from './identity.js';

/** What a ConfigMap file holds: its entries, and the keys skipped with why (`<source>: data.config: …`). */
export interface ConfigMapFile {
  entries: ConfigMapEntries;
  warnings: string[];
}

/**
 * Parses a ConfigMap file's text. Throws {@link ConfigMapConfigError} (exit 2) naming the source, the document and
 * the field: not YAML/JSON, no ConfigMap named `pod-identity-webhook`, `data.config` not a string or not JSON. A
 * malformed key inside valid JSON is skipped with a warning, as upstream skips it.
 * @example
 * const { entries, warnings } = parseConfigMapFile(readFileSync('cm.yaml', 'utf8'), 'cm.yaml');
 */
export function parseConfigMapFile(text: string, source: string): ConfigMapFile {
  let documents: ManifestDocument[];
  try {
    documents = parseManifests(text, source).documents;
  } catch (err) {
    if (err instanceof ManifestError) throw new ConfigMapConfigError(err.message, { cause: err });
    throw err;
  }
  const values = documents.map((doc) => ({ doc, value: documentValue(doc) })).filter(({ value }) => value !== null && value !== undefined);
  if (values.length === 0) return { entries: parseConfigMapConfig('{}').entries, warnings: [] };

  const only = values.length === 1 ? values[0]! : undefined;
  if (only !== undefined && only.doc.format === 'json' && isRecord(only.value) && typeof only.value.kind !== 'string') {
    // the bare data.config JSON: parsed from its own text, so Go's JSON rules (duplicate keys, case) apply to it
    return fromConfig(only.doc.originalText, `${source}:`, `${source}:`);
  }

  const configMaps: Array<{ index: number; value: Record<string, unknown> }> = [];
  for (const { doc, value } of values) {
    const objects = isManifestList(value) ? value.items : [value];
    for (const object of objects) if (isRecord(object) && object.kind === 'ConfigMap') configMaps.push({ index: doc.index, value: object });
  }
  const nameOf = (cm: Record<string, unknown>): unknown => (isRecord(cm.metadata) ? cm.metadata.name : undefined);
  const named = configMaps.filter((cm) => nameOf(cm.value) === CONFIG_MAP_NAME);
  if (named.length === 0) {
    const found = configMaps.length === 0
      ? `no ConfigMap named ${CONFIG_MAP_NAME}`
      : `holds ConfigMap ${configMaps.map((cm) => JSON.stringify(nameOf(cm.value) ?? '')).join(', ')}, not ${CONFIG_MAP_NAME}`;
    throw new ConfigMapConfigError(`${source}: ${found}; the webhook reads only the ConfigMap named ${CONFIG_MAP_NAME} (or give the bare data.${CONFIG_MAP_KEY} JSON as the whole file)`);
  }
  if (named.length > 1) {
    throw new ConfigMapConfigError(`${source}: holds ${named.length} ConfigMaps named ${CONFIG_MAP_NAME} (documents ${named.map((cm) => cm.index + 1).join(', ')}); keep one`);
  }
  const { index, value } = named[0]!;
  const where = `${source}, document ${index + 1}:`;
  const data = value.data;
  if (data === undefined || data === null) return { entries: parseConfigMapConfig('{}').entries, warnings: [] };
  if (!isRecord(data)) throw new ConfigMapConfigError(`${where} data: must be a mapping of keys to strings`);
  const config = data[CONFIG_MAP_KEY];
  if (config === undefined) return { entries: parseConfigMapConfig('{}').entries, warnings: [] };
  if (typeof config !== 'string') throw new ConfigMapConfigError(`${where} data.${CONFIG_MAP_KEY}: must be a string holding JSON`);
  return fromConfig(config, `${where} data.${CONFIG_MAP_KEY}:`, `${source}: data.${CONFIG_MAP_KEY}:`);
}

function fromConfig(config: string, errorPrefix: string, warningPrefix: string): ConfigMapFile {
  const parsed = parseConfigMapConfig(config);
  if (parsed.syntaxError !== undefined) throw new ConfigMapConfigError(`${errorPrefix} ${parsed.errors[0]}`);
  return { entries: parsed.entries, warnings: parsed.errors.map((e) => `${warningPrefix} ${e}`) };
}
