/**
 * Kubernetes manifests as users write them: YAML or JSON, one or many documents, read with `yaml`'s Document API so
 * that comments, key order and formatting of the parts we do not touch survive a round trip; where pod templates
 * live in each workload kind; and additive edits (JSON Patch `add`) applied to YAML nodes in place.
 * @module
 */
import { Document, isMap, isScalar, isSeq, parseAllDocuments, parseDocument, type Node, type ParsedNode } from 'yaml';
import { ManifestError } from './errors.js';
import { isRecord } from '../lib/is-record.js';

export type ManifestFormat = 'yaml' | 'json';

/** One document of a manifest file. */
export interface ManifestDocument {
  source: string;
  /** 0-based position in its source. */
  index: number;
  format: ManifestFormat;
  /** YAML input: the parsed document, edited in place. */
  yaml: Document.Parsed | undefined;
  /** JSON input: the parsed value, edited in place. */
  json: unknown;
  /** YAML input: the document's original text (including its `---` marker and the comments before it). */
  originalText: string;
  /** Set once anything was edited; unchanged YAML documents are written back byte for byte. */
  changed: boolean;
  /** YAML input: whether block sequences are indented under their key (kept for edited documents). */
  indentSeq: boolean;
  /** YAML input: whether flow collections are written `{ a: 1 }` (true) or `{a: 1}` (false). */
  flowCollectionPadding: boolean;
}

/** All documents of one source. */
export interface ManifestSet {
  source: string;
  format: ManifestFormat;
  documents: ManifestDocument[];
}

/**
 * Parses YAML or JSON text (a JSON input is one or more concatenated JSON values). Throws {@link ManifestError}
 * naming the source, the document and the line for syntax errors.
 * @example
 * const set = parseManifests(readFileSync('app.yaml', 'utf8'), 'app.yaml');
 */
export function parseManifests(text: string, source: string): ManifestSet {
  const first = text.replace(/^\uFEFF/, '').trimStart()[0];
  if (first === '{' || first === '[') {
    try {
      return parseJsonManifests(text, source);
    } catch (err) {
      // `{"kind": ...` is JSON and gets JSON's error; `{kind: Pod}` may be YAML in flow style.
      if (!(err instanceof ManifestError) || /^\s*(?:\[|\{\s*["}])/.test(text.replace(/^\uFEFF/, ''))) throw err;
    }
  }
  let docs = parseAllDocuments(text, { uniqueKeys: false, prettyErrors: true }) as Document.Parsed[];
  // A stream of only comments has no document; keep its text as one empty document.
  if (docs.length === 0) {
    if (text.trim() === '') return { source, format: 'yaml', documents: [] };
    docs = [parseDocument(text, { uniqueKeys: false, prettyErrors: true })];
  }
  const documents: ManifestDocument[] = [];
  for (let i = 0; i < docs.length; i++) {
    const doc = docs[i]!;
    const err = doc.errors[0];
    if (err !== undefined) {
      const where = err.linePos?.[0] ? ` (line ${err.linePos[0].line}, column ${err.linePos[0].col})` : '';
      throw new ManifestError(source, i, `invalid YAML${where}: ${err.message.split('\n')[0]}`);
    }
    const start = i === 0 ? 0 : doc.range[0];
    const end = i === docs.length - 1 ? text.length : docs[i + 1]!.range[0];
    const originalText = text.slice(start, end);
    documents.push({
      source, index: i, format: 'yaml', yaml: doc, json: undefined, originalText, changed: false,
      indentSeq: detectIndentSeq(originalText), flowCollectionPadding: !/[{[][^\s}\]]/.test(originalText) || /[{[] \S/.test(originalText),
    });
  }
  return { source, format: 'yaml', documents };
}

function parseJsonManifests(text: string, source: string): ManifestSet {
  const documents: ManifestDocument[] = [];
  let pos = 0;
  let index = 0;
  while (pos < text.length) {
    while (pos < text.length && /\s|\uFEFF/.test(text[pos]!)) pos++;
    if (pos >= text.length) break;
    const end = jsonValueEnd(text, pos);
    const chunk = text.slice(pos, end);
    let value: unknown;
    try {
      value = JSON.parse(chunk);
    } catch (err) {
      const line = text.slice(0, pos).split('\n').length;
      throw new ManifestError(source, index, `invalid JSON (document starting on line ${line}): ${(err as Error).message}`);
    }
    documents.push({ source, index, format: 'json', yaml: undefined, json: value, originalText: chunk, changed: false, indentSeq: true, flowCollectionPadding: true });
    index++;
    pos = end;
  }
  return { source, format: 'json', documents };
}

/** End offset of the JSON object or array starting at `start` (brackets balanced outside strings). */
function jsonValueEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return text.length;
}

/** Block sequences written `key:\n- item` (false) or `key:\n  - item` (true, yaml's default); first one found decides. */
function detectIndentSeq(text: string): boolean {
  const m = /^( *)[^\s#-][^\n]*:[ \t]*\n(?:[ \t]*#[^\n]*\n)*( *)- /m.exec(text);
  if (m === null) return true;
  return m[2]!.length > m[1]!.length;
}

/** The plain value of a document (`null` for an empty one). */
export function documentValue(doc: ManifestDocument): unknown {
  return doc.format === 'yaml' ? doc.yaml!.toJS({ maxAliasCount: -1 }) : doc.json;
}

/** One object of a manifest stream, as {@link readManifestObjects} returns it. */
export interface ManifestObject {
  /** The plain value (a `List`'s item, or a whole document). */
  value: unknown;
  /** 0-based index of the document it came from (for messages: {@link ManifestError} counts from 1). */
  index: number;
}

/**
 * A `List` as `kubectl get -o yaml` writes it (`kind: List`, or a typed `ServiceAccountList`, `ConfigMapList`, …)
 * with its `items`.
 * @example
 * isManifestList({ kind: 'List', items: [] }) // true
 */
export function isManifestList(value: unknown): value is { kind: string; items: unknown[] } {
  return isRecord(value) && typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items);
}

/**
 * The one reader of multi-document manifests for code that wants plain values: every object of a YAML or JSON text
 * in order, one per document with the items of a `List` (nested ones too) in its place, empty documents skipped.
 * Throws {@link ManifestError} naming the source, the document and the line of a syntax error.
 * @example
 * const configMaps = readManifestObjects(text, 'cm.yaml').filter((o) => isRecord(o.value) && o.value.kind === 'ConfigMap');
 */
export function readManifestObjects(text: string, source: string): ManifestObject[] {
  const out: ManifestObject[] = [];
  const add = (value: unknown, index: number): void => {
    if (value === null || value === undefined) return;
    if (isManifestList(value)) for (const item of value.items) add(item, index);
    else out.push({ value, index });
  };
  for (const doc of parseManifests(text, source).documents) add(documentValue(doc), doc.index);
  return out;
}

/** Kinds whose pod template lives at a fixed path (spec.template, or spec.jobTemplate.spec.template for CronJob). */
export const POD_TEMPLATE_PATHS: Readonly<Record<string, readonly string[]>> = {
  Deployment: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  Job: ['spec', 'template'],
  ReplicationController: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
  PodTemplate: ['template'],
};

/** Where a pod lives inside a document: `path` to the object holding `metadata` and `spec` ([] = a Pod document). */
export interface PodLocation {
  path: Array<string | number>;
  kind: string;
  /** The namespace of the enclosing object, when it sets one. */
  namespace: string | undefined;
  /** Human name for messages, e.g. `Deployment/web`. */
  name: string;
}

/**
 * Finds every pod (a Pod, or the pod template of a workload) in a document, recursing into `List` items.
 * Throws {@link ManifestError} for a non-empty document without `kind` or a workload without its template.
 * @example
 * findPods(value, 'app.yaml', 0); // [{ path: ['spec', 'template'], kind: 'Deployment', ... }]
 */
export function findPods(value: unknown, source: string, index: number): PodLocation[] {
  const out: PodLocation[] = [];
  if (value === null || value === undefined) return out;
  collectPods(value, [], source, index, out, '');
  return out;
}

function collectPods(value: unknown, path: Array<string | number>, source: string, index: number, out: PodLocation[], where: string): void {
  if (!isRecord(value)) throw new ManifestError(source, index, `${where || 'document'}: expected a Kubernetes object (a mapping with kind)`);
  const kind = value.kind;
  if (kind === undefined || kind === null || kind === '') throw new ManifestError(source, index, `${where ? `${where}.` : ''}kind: missing; every document must say what it is (e.g. kind: Pod)`);
  if (typeof kind !== 'string') throw new ManifestError(source, index, `${where ? `${where}.` : ''}kind: must be a string`);
  const metadata = isRecord(value.metadata) ? value.metadata : undefined;
  const name = `${kind}/${typeof metadata?.name === 'string' ? metadata.name : typeof metadata?.generateName === 'string' ? metadata.generateName : '?'}`;
  const namespace = typeof metadata?.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : undefined;
  if (kind === 'Pod') {
    if (value.spec !== undefined && value.spec !== null && !isRecord(value.spec)) throw new ManifestError(source, index, `${where ? `${where}.` : ''}spec: must be a mapping`);
    out.push({ path, kind, namespace, name });
    return;
  }
  if (kind === 'List' || kind.endsWith('List')) {
    const items = value.items;
    if (items === undefined || items === null) return;
    if (!Array.isArray(items)) throw new ManifestError(source, index, `${where ? `${where}.` : ''}items: must be a list`);
    for (let i = 0; i < items.length; i++) collectPods(items[i], [...path, 'items', i], source, index, out, `${where ? `${where}.` : ''}items[${i}]`);
    return;
  }
  const templatePath = POD_TEMPLATE_PATHS[kind];
  if (templatePath === undefined) return;
  let node: unknown = value;
  for (const key of templatePath) {
    node = isRecord(node) ? node[key] : undefined;
    if (!isRecord(node)) {
      throw new ManifestError(source, index, `${where ? `${where}.` : ''}${templatePath.join('.')}: ${kind} has no pod template (missing or not a mapping at ${key})`);
    }
  }
  out.push({ path: [...path, ...templatePath], kind, namespace, name });
}

/**
 * The namespace and ServiceAccount a Pod manifest runs as, read offline (no admission has filled them in):
 * `metadata.namespace`, else `defaultNamespace`; `spec.serviceAccountName`, else the deprecated `spec.serviceAccount`,
 * else `default`, as the API server's ServiceAccount admission fills them. Empty strings count as unset.
 * @example
 * podServiceAccount({ spec: { serviceAccount: 'app' } }, 'dev'); // { namespace: 'dev', name: 'app' }
 */
export function podServiceAccount(pod: unknown, defaultNamespace: string): { namespace: string; name: string } {
  const metadata = isRecord(pod) && isRecord(pod.metadata) ? pod.metadata : {};
  const spec = isRecord(pod) && isRecord(pod.spec) ? pod.spec : {};
  const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  return {
    namespace: text(metadata.namespace) ?? defaultNamespace,
    name: text(spec.serviceAccountName) ?? text(spec.serviceAccount) ?? 'default',
  };
}

/** Reads the value at `path` of a plain value. */
export function getAt(value: unknown, path: ReadonlyArray<string | number>): unknown {
  let node = value;
  for (const key of path) {
    if (Array.isArray(node) && typeof key === 'number') node = node[key];
    else if (isRecord(node)) node = node[String(key)];
    else return undefined;
  }
  return node;
}

/**
 * Applies `add` operations (JSON Patch paths relative to `base`) to a document, editing YAML nodes in place so that
 * comments and formatting around them are kept: adding over an existing mapping or sequence merges (new keys and
 * items are appended, equal scalars untouched), an index inserts, anything else is set.
 * @example
 * applyAdditions(doc, ['spec', 'template'], [{ op: 'add', path: '/spec/volumes/0', value: volume }]);
 */
export function applyAdditions(
  doc: ManifestDocument,
  base: ReadonlyArray<string | number>,
  operations: ReadonlyArray<{ op: string; path: string; value?: unknown }>,
): void {
  for (const op of operations) {
    if (op.op !== 'add') throw new TypeError(`applyAdditions supports only "add" operations, got ${op.op}`);
    const tokens = op.path === '' ? [] : op.path.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
    const path = [...base, ...tokens];
    if (doc.format === 'json') addToValue(doc, path, op.value);
    else addToYaml(doc.yaml!, path, op.value);
    doc.changed = true;
  }
}

function addToValue(doc: ManifestDocument, path: Array<string | number>, value: unknown): void {
  if (path.length === 0) {
    doc.json = value;
    return;
  }
  let parent: unknown = doc.json;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i]!;
    const next = Array.isArray(parent) ? parent[Number(key)] : isRecord(parent) ? parent[String(key)] : undefined;
    if (next === undefined || next === null) {
      const created = {};
      if (isRecord(parent)) parent[String(key)] = created;
      parent = created;
    } else parent = next;
  }
  const last = path[path.length - 1]!;
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : Number(last);
    parent.splice(i, 0, value);
  } else if (isRecord(parent)) {
    parent[String(last)] = value;
  }
}

function addToYaml(doc: Document.Parsed, path: Array<string | number>, value: unknown): void {
  const last = path[path.length - 1];
  const parentPath = path.slice(0, -1);
  // An empty key (`metadata:`) holds a null scalar, which setIn cannot descend into: make it a mapping, as for JSON.
  for (let i = 1; i <= parentPath.length; i++) {
    const node = doc.getIn(parentPath.slice(0, i), true);
    if (isScalar(node) && node.value === null) doc.setIn(parentPath.slice(0, i), doc.createNode({}));
  }
  const parent = parentPath.length === 0 ? doc.contents : doc.getIn(parentPath, true);
  if (isSeq(parent) && last !== undefined) {
    const index = last === '-' ? parent.items.length : Number(last);
    parent.items.splice(index, 0, doc.createNode(value) as ParsedNode);
    return;
  }
  const existing = path.length === 0 ? doc.contents : doc.getIn(path, true);
  if (existing !== undefined && existing !== null && mergeNode(doc, existing as Node, value)) return;
  if (path.length === 0) doc.contents = doc.createNode(value) as ParsedNode;
  else doc.setIn(path, doc.createNode(value));
}

/** Merges `value` into an existing node; false when the shapes differ (the caller then replaces the node). */
function mergeNode(doc: Document.Parsed, node: Node, value: unknown): boolean {
  if (isMap(node) && isRecord(value)) {
    for (const [key, v] of Object.entries(value)) {
      const child = node.get(key, true);
      if (child !== undefined && child !== null && mergeNode(doc, child as Node, v)) continue;
      node.set(doc.createNode(key), doc.createNode(v));
    }
    return true;
  }
  if (isSeq(node) && Array.isArray(value)) {
    if (value.length < node.items.length) return false;
    for (let i = 0; i < node.items.length; i++) {
      const child = node.items[i];
      if (child !== undefined && child !== null && mergeNode(doc, child as Node, value[i])) continue;
      node.items[i] = doc.createNode(value[i]) as ParsedNode;
    }
    for (let i = node.items.length; i < value.length; i++) node.items.push(doc.createNode(value[i]) as ParsedNode);
    return true;
  }
  if (isScalar(node) && (value === null || typeof value !== 'object')) {
    if (node.value !== value) node.value = value;
    return true;
  }
  return false;
}

/**
 * Writes documents back: YAML documents untouched are their original text; edited ones are re-printed by `yaml`
 * (comments and key order kept, no line folding, the input's sequence indentation); JSON documents are printed
 * with two-space indentation. `format` converts between YAML and JSON.
 * @example
 * process.stdout.write(stringifyManifests(set.documents, 'yaml'));
 */
export function stringifyManifests(documents: readonly ManifestDocument[], format: ManifestFormat): string {
  if (format === 'json') {
    const values = documents.map(documentValue).filter((v) => v !== null && v !== undefined);
    return values.map((v) => `${JSON.stringify(v, null, 2)}\n`).join('');
  }
  let out = '';
  for (let i = 0; i < documents.length; i++) {
    const doc = documents[i]!;
    let text: string;
    if (doc.format === 'yaml' && !doc.changed) text = doc.originalText;
    else if (doc.format === 'yaml') text = doc.yaml!.toString({ lineWidth: 0, indentSeq: doc.indentSeq, flowCollectionPadding: doc.flowCollectionPadding });
    else text = new Document(doc.json).toString({ lineWidth: 0 });
    if (text === '') continue;
    if (!text.endsWith('\n')) text += '\n';
    if (out !== '' && !/^(?:#[^\n]*\n|\s*\n)*---/.test(text)) out += '---\n';
    out += text;
  }
  return out;
}

