/**
 * The admission fast path's reader: one validating pass over the raw AdmissionReview bytes that materialises only
 * what the mutation reads (request uid/namespace/name/operation/dryRun; the pod's kind, metadata name,
 * generateName, namespace, labels, annotations; spec serviceAccountName, nodeSelector, volumes; each container's
 * name, env and volumeMounts) and keeps every container's raw JSON for the patch (patch-json.ts splices it back
 * instead of re-encoding). managedFields, status, userInfo, oldObject and the rest of the spec are checked as
 * JSON and skipped, never built as objects.
 *
 * It answers only the ordinary case. Anything else — invalid JSON, nesting deeper than MAX_JSON_DEPTH, an
 * escaped or duplicated key where it reads keys, a review the decoder would reject — returns undefined, and the
 * caller falls back to `decodeAdmissionReview`, which gives the error or the full parse. So answers and errors are
 * the same as before; only the work differs.
 * @module
 */
import type { DecodedAdmissionReview, AdmissionRequest } from './admission.js';
import { ADMISSION_API_VERSIONS } from './admission.js';
import { MAX_JSON_DEPTH } from './json-depth.js';
import { RAW_CONTAINER, type RawContainer } from './patch-json.js';

const enum C {
  TAB = 0x09,
  LF = 0x0a,
  CR = 0x0d,
  SPACE = 0x20,
  QUOTE = 0x22,
  PLUS = 0x2b,
  COMMA = 0x2c,
  MINUS = 0x2d,
  DOT = 0x2e,
  SLASH = 0x2f,
  ZERO = 0x30,
  NINE = 0x39,
  COLON = 0x3a,
  UPPER_E = 0x45,
  OPEN_BRACKET = 0x5b,
  BACKSLASH = 0x5c,
  CLOSE_BRACKET = 0x5d,
  LOWER_E = 0x65,
  OPEN_BRACE = 0x7b,
  CLOSE_BRACE = 0x7d,
}

/** Thrown inside the scanner to abandon the fast path (never escapes this module). */
class Unusual {}
const UNUSUAL = new Unusual();

/** One key of an object being read: where its value is. */
interface Member {
  start: number;
  end: number;
}

/**
 * A validating JSON scanner over bytes (RFC 8259, as JSON.parse accepts it; bytes ≥ 0x80 pass as JSON.parse sees
 * them after UTF-8 decoding). `skip*` methods validate and return the end offset; the caller records spans.
 */
class Scanner {
  pos = 0;
  /** A string held a byte >= 0x80 (the text is decoded as Latin-1 for byte offsets, so such bodies take the slow path). */
  nonAscii = false;
  constructor(readonly b: Uint8Array) {}

  ws(): void {
    const b = this.b;
    let p = this.pos;
    for (;;) {
      const c = b[p];
      if (c === C.SPACE || c === C.LF || c === C.CR || c === C.TAB) p++;
      else break;
    }
    this.pos = p;
  }

  /** At a `"`: skips the string; returns true when it holds an escape. */
  string(): boolean {
    const b = this.b;
    let p = this.pos + 1;
    let escaped = false;
    for (;;) {
      while (PLAIN[b[p]!] === 1) p++;
      const c = b[p];
      if (c === C.QUOTE) break;
      if (c === undefined || c < 0x20) throw UNUSUAL;
      if (c >= 0x80) {
        this.nonAscii = true;
        p++;
        continue;
      }
      // a backslash
      escaped = true;
      const e = b[p + 1];
      if (e === 0x75 /* u */) {
        for (let k = 2; k < 6; k++) if (!isHex(b[p + k])) throw UNUSUAL;
        p += 6;
        continue;
      }
      if (e !== C.QUOTE && e !== C.BACKSLASH && e !== C.SLASH && e !== 0x62 && e !== 0x66 && e !== 0x6e && e !== 0x72 && e !== 0x74) throw UNUSUAL;
      p += 2;
    }
    this.pos = p + 1;
    return escaped;
  }

  number(): void {
    const b = this.b;
    let p = this.pos;
    if (b[p] === C.MINUS) p++;
    if (b[p] === C.ZERO) p++;
    else if (isDigit(b[p])) while (isDigit(b[p])) p++;
    else throw UNUSUAL;
    if (b[p] === C.DOT) {
      p++;
      if (!isDigit(b[p])) throw UNUSUAL;
      while (isDigit(b[p])) p++;
    }
    if (b[p] === C.LOWER_E || b[p] === C.UPPER_E) {
      p++;
      if (b[p] === C.PLUS || b[p] === C.MINUS) p++;
      if (!isDigit(b[p])) throw UNUSUAL;
      while (isDigit(b[p])) p++;
    }
    this.pos = p;
  }

  /**
   * Skips any value at `pos` (after whitespace) with `depth` arrays/objects already open. Iterative, on locals
   * (most of a review is skipped: this loop is the scanner's hot spot).
   */
  value(depth: number): void {
    const b = this.b;
    const stack = OPEN; // 1 = object, 2 = array, for the containers opened inside this value
    let sp = 0;
    let p = this.pos;
    let c: number;
    for (;;) {
      // a value
      c = b[p]!;
      while (c === C.SPACE || c === C.LF || c === C.CR || c === C.TAB) c = b[++p]!;
      if (c === C.QUOTE) {
        this.pos = p;
        this.string();
        p = this.pos;
      } else if (c === C.OPEN_BRACE || c === C.OPEN_BRACKET) {
        if (depth + sp + 1 > MAX_JSON_DEPTH) throw UNUSUAL;
        const object = c === C.OPEN_BRACE;
        c = b[++p]!;
        while (c === C.SPACE || c === C.LF || c === C.CR || c === C.TAB) c = b[++p]!;
        if (c === (object ? C.CLOSE_BRACE : C.CLOSE_BRACKET)) p++;
        else {
          stack[sp++] = object ? 1 : 2;
          if (object) p = this.key(p);
          continue;
        }
      } else if (c === 0x74) p = literalAt(b, p, TRUE);
      else if (c === 0x66) p = literalAt(b, p, FALSE);
      else if (c === 0x6e) p = literalAt(b, p, NULL);
      else {
        this.pos = p;
        this.number();
        p = this.pos;
      }
      // after a value: close what ends here, or go on to the next member or element
      for (;;) {
        if (sp === 0) {
          this.pos = p;
          return;
        }
        c = b[p]!;
        while (c === C.SPACE || c === C.LF || c === C.CR || c === C.TAB) c = b[++p]!;
        const top = stack[sp - 1];
        if (c === C.COMMA) {
          p++;
          if (top === 1) p = this.key(p);
          break;
        }
        if (c === (top === 1 ? C.CLOSE_BRACE : C.CLOSE_BRACKET)) {
          p++;
          sp--;
          continue;
        }
        throw UNUSUAL;
      }
    }
  }

  /** At (whitespace and) a member's key: skips it and its colon; returns the offset after the colon. */
  key(at: number): number {
    const b = this.b;
    let p = at;
    let c = b[p]!;
    while (c === C.SPACE || c === C.LF || c === C.CR || c === C.TAB) c = b[++p]!;
    if (c !== C.QUOTE) throw UNUSUAL;
    this.pos = p;
    this.string();
    p = this.pos;
    c = b[p]!;
    while (c === C.SPACE || c === C.LF || c === C.CR || c === C.TAB) c = b[++p]!;
    if (c !== C.COLON) throw UNUSUAL;
    return p + 1;
  }

  colon(): void {
    this.ws();
    if (this.b[this.pos++] !== C.COLON) throw UNUSUAL;
  }

  /** After a member: true at the object's `}`, false at a `,`. */
  next(): boolean {
    this.ws();
    const d = this.b[this.pos++];
    if (d === C.CLOSE_BRACE) return true;
    if (d !== C.COMMA) throw UNUSUAL;
    return false;
  }

  /**
   * Reads an object at `pos` (already known to start with `{`), calling `onKey(key)` for each key: it returns a
   * handler to read the value itself, or undefined to skip it. Keys with escapes throw (never compared raw).
   */
  object(depth: number, keys: readonly string[], found: Array<Member | undefined>, read?: (index: number, depth: number) => void): void {
    if (depth + 1 > MAX_JSON_DEPTH) throw UNUSUAL;
    const b = this.b;
    this.pos++;
    this.ws();
    if (b[this.pos] === C.CLOSE_BRACE) {
      this.pos++;
      return;
    }
    for (;;) {
      this.ws();
      if (b[this.pos] !== C.QUOTE) throw UNUSUAL;
      const keyStart = this.pos + 1;
      const escaped = this.string();
      // an escaped key may spell a wanted one (`"\u006bind"`): only plain keys are compared, so give up on any
      if (escaped) throw UNUSUAL;
      const index = matchKey(b, keyStart, this.pos - 1, keys);
      this.colon();
      this.ws();
      if (index >= 0) {
        if (found[index] !== undefined) throw UNUSUAL; // a duplicate key: JSON.parse keeps the last; let it decide
        const start = this.pos;
        if (read !== undefined && (b[start] === C.OPEN_BRACE || b[start] === C.OPEN_BRACKET)) read(index, depth + 1);
        else this.value(depth + 1);
        found[index] = { start, end: this.pos };
      } else this.value(depth + 1);
      if (this.next()) break;
    }
  }
}

/** Bytes a string can hold as they are: 1 for printable ASCII but `"` and `\\` (the inner loop's one test). */
const PLAIN = new Uint8Array(256);
for (let c = 0x20; c < 0x80; c++) PLAIN[c] = c === C.QUOTE || c === C.BACKSLASH ? 0 : 1;

/** The skip loop's stack of open containers (one scan at a time: the server is single-threaded per process). */
const OPEN = new Uint8Array(MAX_JSON_DEPTH + 2);

function literalAt(b: Uint8Array, p: number, word: readonly number[]): number {
  for (let k = 0; k < word.length; k++) if (b[p + k] !== word[k]) throw UNUSUAL;
  return p + word.length;
}

const TRUE = [0x74, 0x72, 0x75, 0x65];
const FALSE = [0x66, 0x61, 0x6c, 0x73, 0x65];
const NULL = [0x6e, 0x75, 0x6c, 0x6c];

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= C.ZERO && c <= C.NINE;
}

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));
}

/** Index of the key spelled by bytes [start, end) in `keys` (ASCII), or -1. */
function matchKey(b: Uint8Array, start: number, end: number, keys: readonly string[]): number {
  const len = end - start;
  outer: for (let k = 0; k < keys.length; k++) {
    const key = keys[k]!;
    if (key.length !== len) continue;
    for (let i = 0; i < len; i++) if (b[start + i] !== key.charCodeAt(i)) continue outer;
    return k;
  }
  return -1;
}

const REVIEW_KEYS = ['apiVersion', 'kind', 'request'] as const;
const REQUEST_KEYS = ['uid', 'namespace', 'name', 'operation', 'dryRun', 'object'] as const;
const POD_KEYS = ['kind', 'metadata', 'spec'] as const;
const METADATA_KEYS = ['name', 'generateName', 'namespace', 'labels', 'annotations'] as const;
const SPEC_KEYS = ['serviceAccountName', 'nodeSelector', 'volumes', 'containers', 'initContainers'] as const;
const CONTAINER_KEYS = ['name', 'env', 'volumeMounts'] as const;

/** The light containers of one array, or the parsed value when it is not an array. */
function readContainers(s: Scanner, text: () => string, depth: number): unknown[] {
  const b = s.b;
  const out: unknown[] = [];
  if (depth + 1 > MAX_JSON_DEPTH) throw UNUSUAL;
  s.pos++;
  s.ws();
  if (b[s.pos] === C.CLOSE_BRACKET) {
    s.pos++;
    return out;
  }
  for (;;) {
    s.ws();
    const start = s.pos;
    if (b[start] === C.OPEN_BRACE) {
      const found: Array<Member | undefined> = [undefined, undefined, undefined];
      s.object(depth + 1, CONTAINER_KEYS, found);
      if (s.nonAscii) throw UNUSUAL;
      const raw = text().slice(start, s.pos);
      const light: Record<string | symbol, unknown> = {};
      const t = text();
      if (found[0]) light.name = JSON.parse(t.slice(found[0].start, found[0].end));
      if (found[1]) light.env = JSON.parse(t.slice(found[1].start, found[1].end));
      if (found[2]) light.volumeMounts = JSON.parse(t.slice(found[2].start, found[2].end));
      const rawInfo: RawContainer = {
        text: raw,
        envStart: found[1] ? found[1].start - start : -1,
        envEnd: found[1] ? found[1].end - start : -1,
        mountsStart: found[2] ? found[2].start - start : -1,
        mountsEnd: found[2] ? found[2].end - start : -1,
        env: light.env,
        volumeMounts: light.volumeMounts,
      };
      light[RAW_CONTAINER] = rawInfo;
      out.push(light);
    } else {
      s.value(depth + 1);
      if (s.nonAscii) throw UNUSUAL;
      out.push(JSON.parse(text().slice(start, s.pos)));
    }
    s.ws();
    const d = b[s.pos++];
    if (d === C.CLOSE_BRACKET) break;
    if (d !== C.COMMA) throw UNUSUAL;
  }
  return out;
}

/**
 * The fast path's decode: a review with a light pod (only the members the mutation reads, containers carrying
 * their raw JSON under RAW_CONTAINER), or undefined when the body is anything but an ordinary valid review (then
 * `decodeAdmissionReview` decides).
 * @example
 * const review = scanAdmissionReview(body) ?? decodeAdmissionReview(body);
 */
export function scanAdmissionReview(body: Uint8Array): DecodedAdmissionReview | undefined {
  let decoded: string | undefined;
  const text = (): string => (decoded ??= Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('latin1'));
  const s = new Scanner(body);
  try {
    const review: Array<Member | undefined> = [undefined, undefined, undefined];
    const request: Array<Member | undefined> = [undefined, undefined, undefined, undefined, undefined, undefined];
    const pod: Array<Member | undefined> = [undefined, undefined, undefined];
    const metadata: Array<Member | undefined> = [undefined, undefined, undefined, undefined, undefined];
    const spec: Array<Member | undefined> = [undefined, undefined, undefined, undefined, undefined];
    let containers: unknown[] | undefined;
    let initContainers: unknown[] | undefined;
    let metadataIsObject = false;
    let specIsObject = false;

    s.ws();
    if (body[s.pos] !== C.OPEN_BRACE) return undefined;
    s.object(0, REVIEW_KEYS, review, (i, d) => {
      if (i !== 2 || body[s.pos] !== C.OPEN_BRACE) return s.value(d);
      s.object(d, REQUEST_KEYS, request, (j, d2) => {
        if (j !== 5 || body[s.pos] !== C.OPEN_BRACE) return s.value(d2);
        s.object(d2, POD_KEYS, pod, (k, d3) => {
          if (k === 1 && body[s.pos] === C.OPEN_BRACE) {
            metadataIsObject = true;
            return s.object(d3, METADATA_KEYS, metadata);
          }
          if (k === 2 && body[s.pos] === C.OPEN_BRACE) {
            specIsObject = true;
            return s.object(d3, SPEC_KEYS, spec, (m, d4) => {
              if (m === 3 && body[s.pos] === C.OPEN_BRACKET) containers = readContainers(s, text, d4);
              else if (m === 4 && body[s.pos] === C.OPEN_BRACKET) initContainers = readContainers(s, text, d4);
              else s.value(d4);
            });
          }
          return s.value(d3);
        });
      });
    });
    s.ws();
    if (s.pos !== body.length || s.nonAscii) return undefined;

    // Everything read so far is valid JSON; the parsed pieces below are small.
    const t = text();
    const parse = (m: Member | undefined): unknown => (m === undefined ? undefined : JSON.parse(t.slice(m.start, m.end)));
    const apiVersion = parse(review[0]);
    const kind = parse(review[1]);
    if (apiVersion !== undefined && !(ADMISSION_API_VERSIONS as readonly unknown[]).includes(apiVersion)) return undefined;
    if (kind !== undefined && kind !== 'AdmissionReview') return undefined;
    if (review[2] === undefined || body[review[2].start] !== C.OPEN_BRACE) return undefined;
    const uid = parse(request[0]);
    if (typeof uid !== 'string') return undefined;
    if (request[5] === undefined || body[request[5].start] !== C.OPEN_BRACE) return undefined;
    const podKind = parse(pod[0]);
    if (podKind !== undefined && podKind !== 'Pod') return undefined;

    const object: Record<string, unknown> = {};
    if (pod[0] !== undefined) object.kind = podKind;
    if (pod[1] !== undefined) {
      if (metadataIsObject) {
        const meta: Record<string, unknown> = {};
        for (let i = 0; i < METADATA_KEYS.length; i++) if (metadata[i] !== undefined) meta[METADATA_KEYS[i]!] = parse(metadata[i]);
        object.metadata = meta;
      } else object.metadata = parse(pod[1]);
    }
    if (pod[2] !== undefined) {
      if (specIsObject) {
        const sp: Record<string, unknown> = {};
        for (let i = 0; i < 3; i++) if (spec[i] !== undefined) sp[SPEC_KEYS[i]!] = parse(spec[i]);
        if (spec[3] !== undefined) sp.containers = containers ?? parse(spec[3]);
        if (spec[4] !== undefined) sp.initContainers = initContainers ?? parse(spec[4]);
        object.spec = sp;
      } else object.spec = parse(pod[2]);
    }
    const out: AdmissionRequest = { uid, object };
    const namespace = parse(request[1]);
    const name = parse(request[2]);
    const operation = parse(request[3]);
    if (typeof namespace === 'string') out.namespace = namespace;
    if (typeof name === 'string') out.name = name;
    if (typeof operation === 'string') out.operation = operation;
    if (parse(request[4]) === true) out.dryRun = true;
    const decodedReview: DecodedAdmissionReview = { request: out };
    if (typeof kind === 'string') decodedReview.kind = kind;
    if (typeof apiVersion === 'string') decodedReview.apiVersion = apiVersion;
    return decodedReview;
  } catch (err) {
    if (err === UNUSUAL || err instanceof SyntaxError) return undefined;
    throw err;
  }
}
