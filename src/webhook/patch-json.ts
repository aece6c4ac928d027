/**
 * JSON text of the webhook's patch. Containers that came through the fast path (review-scan.ts) carry their raw
 * JSON: it is spliced into the patch as received, with only the appended env entries and token mount encoded,
 * instead of re-encoding the whole container. For compact input (what the API server sends) the result is
 * byte-for-byte `JSON.stringify(patch)` of the same patch built from a fully parsed pod (tested).
 * @module
 */
/** The raw JSON of a container, on the light container object the fast path hands to the mutation. */
export const RAW_CONTAINER = Symbol('irsa.rawContainer');

/** Where a light container came from: its raw text and the spans of its `env` and `volumeMounts` values. */
export interface RawContainer {
  /** The container's JSON object text, exactly as received. */
  text: string;
  /** [start, end) of the `env` value in `text`, or -1 when the container has no `env` member. */
  envStart: number;
  envEnd: number;
  mountsStart: number;
  mountsEnd: number;
  /** The parsed `env` and `volumeMounts` the light container was given (the patch's container replaces them when it extends them). */
  env: unknown;
  volumeMounts: unknown;
}

interface Edit {
  /** Replace [start, end) of the raw text with `text` (start === end: insert). */
  start: number;
  end: number;
  text: string;
}

/** The appended items of `after` (a list extended from `before`) as JSON, comma-separated. */
function appended(before: unknown, after: unknown[]): string {
  const from = Array.isArray(before) ? before.length : 0;
  let out = '';
  for (let i = from; i < after.length; i++) out += (i > from ? ',' : '') + JSON.stringify(after[i]);
  return out;
}

/**
 * One list member's edit: `before` is the light container's value, `after` the patch container's. Unchanged ⇒
 * none; extended ⇒ insert the new items before `]`; null ⇒ replace by the list; absent ⇒ add the member at the end.
 */
function memberEdit(raw: RawContainer, key: string, start: number, end: number, before: unknown, after: unknown, tail: Edit[]): Edit | undefined {
  if (after === before || !Array.isArray(after)) return undefined;
  if (start < 0) {
    tail.push({ start: raw.text.length - 1, end: raw.text.length - 1, text: `"${key}":${JSON.stringify(after)}` });
    return undefined;
  }
  if (!Array.isArray(before)) return { start, end, text: JSON.stringify(after) };
  const items = appended(before, after);
  if (items === '') return undefined;
  return { start: end - 1, end: end - 1, text: before.length > 0 ? `,${items}` : items };
}

/** The container's JSON: its raw text with the mutation's additions (its env and volumeMounts lists replaced). */
function containerJson(raw: RawContainer, out: Record<string, unknown>): string {
  if (out.env === raw.env && out.volumeMounts === raw.volumeMounts) return raw.text;
  const tail: Edit[] = [];
  const edits: Edit[] = [];
  const env = memberEdit(raw, 'env', raw.envStart, raw.envEnd, raw.env, out.env, tail);
  const mounts = memberEdit(raw, 'volumeMounts', raw.mountsStart, raw.mountsEnd, raw.volumeMounts, out.volumeMounts, tail);
  if (env) edits.push(env);
  if (mounts) edits.push(mounts);
  edits.sort((a, b) => a.start - b.start);
  let text = '';
  let at = 0;
  for (const e of edits) {
    text += raw.text.slice(at, e.start) + e.text;
    at = e.end;
  }
  if (tail.length > 0) {
    // members the container lacked go last, in the order the mutation added them (env, then volumeMounts)
    const close = raw.text.length - 1;
    text += raw.text.slice(at, close);
    const empty = raw.text.slice(0, close).trim() === '{' && edits.length === 0;
    for (let i = 0; i < tail.length; i++) text += (i === 0 && empty ? '' : ',') + tail[i]!.text;
    text += '}';
  } else text += raw.text.slice(at);
  return text;
}

/** Symbol-keyed members survive `{ ...container }`: the patch's container still knows its source's raw text. */
function rawOf(patched: unknown): RawContainer | undefined {
  return typeof patched === 'object' && patched !== null ? ((patched as Record<symbol, unknown>)[RAW_CONTAINER] as RawContainer | undefined) : undefined;
}

/** `{op, path, value}` in this order with string op and path: written by hand exactly as JSON.stringify would. */
function isPlainOp(op: { op: unknown; path: unknown }): boolean {
  if (typeof op.op !== 'string' || typeof op.path !== 'string') return false;
  const keys = Object.keys(op);
  return keys.length === 3 && keys[0] === 'op' && keys[1] === 'path' && keys[2] === 'value';
}

/**
 * JSON of a patch (operations `{op, path, value}`), splicing raw containers where the values carry them.
 * @example
 * stringifyPatch([{ op: 'add', path: '/spec/volumes/0', value: volume }]); // same as JSON.stringify
 */
export function stringifyPatch(patch: readonly unknown[]): string {
  let out = '[';
  for (let i = 0; i < patch.length; i++) {
    const op = patch[i] as { op: string; path: string; value?: unknown };
    if (i > 0) out += ',';
    const value = op.value;
    if (Array.isArray(value) && value.length > 0 && isPlainOp(op)) {
      out += `{"op":${JSON.stringify(op.op)},"path":${JSON.stringify(op.path)},"value":[`;
      for (let k = 0; k < value.length; k++) {
        const patched = value[k];
        const raw = rawOf(patched);
        out += (k > 0 ? ',' : '') + (raw === undefined ? JSON.stringify(patched) ?? 'null' : containerJson(raw, patched as Record<string, unknown>));
      }
      out += ']}';
    } else out += JSON.stringify(op);
  }
  return `${out}]`;
}
