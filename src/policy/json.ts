/**
 * A strict JSON scan of a policy's text for what `JSON.parse` does not tell: the line and column of a syntax error,
 * and every duplicate object key with its JSON path (`JSON.parse` keeps the last silently, while a reader sees the
 * first). The value itself still comes from `JSON.parse`; this pass only reads positions and keys.
 * @module
 */

/** A position in the text: 1-based line and column (column in UTF-16 code units, as editors count). */
export interface TextPosition {
  line: number;
  column: number;
}

/** A key that appears twice (or more) in one JSON object. */
export interface DuplicateKey extends TextPosition {
  /** JSON path of the repeated key, e.g. `$.Statement[0].Effect` or `$.Statement[0].Condition["StringEquals"]`. */
  path: string;
  key: string;
}

/** A JSON syntax error with its position. */
export interface JsonSyntaxError extends TextPosition {
  message: string;
}

/** The result of {@link scanJson}. */
export interface JsonScan {
  error: JsonSyntaxError | null;
  duplicates: DuplicateKey[];
}

const NUMBER = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const IDENT = /^[A-Za-z_$][\w$]*$/;

function member(path: string, key: string): string {
  return IDENT.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

class Fail extends Error {
  constructor(readonly at: number, message: string) {
    super(message);
  }
}

/** Nesting deeper than this is refused (a policy is a few levels deep; this bounds the recursion). */
const MAX_DEPTH = 64;

/**
 * Scans JSON text: the first syntax error with its line and column, and every duplicate key with its path.
 * @example
 * scanJson('{"Effect":"Deny","Effect":"Allow"}').duplicates[0].path // '$.Effect'
 */
export function scanJson(text: string): JsonScan {
  const duplicates: DuplicateKey[] = [];
  const dupAt: number[] = []; // offsets of the repeats, in increasing order: positions are filled in one pass
  let i = 0;
  const n = text.length;
  const ws = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
  };
  const describe = (at: number) => (at >= n ? 'end of input' : JSON.stringify(text[at]));
  const string = (): string => {
    const start = i;
    i++; // opening quote
    let out = '';
    let run = i;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(run, i);
        i++;
        return out;
      }
      if (c < 0x20) throw new Fail(i, 'control character in a string (escape it)');
      if (c === 0x5c) {
        out += text.slice(run, i);
        const e = text[i + 1];
        if (e === 'u') {
          const hex = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new Fail(i, 'bad \\u escape (expected four hex digits)');
          out += String.fromCharCode(parseInt(hex, 16));
          i += 6;
        } else {
          const map: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
          if (e === undefined || !(e in map)) throw new Fail(i, `bad escape ${e === undefined ? 'at end of input' : JSON.stringify('\\' + e)}`);
          out += map[e]!;
          i += 2;
        }
        run = i;
        continue;
      }
      i++;
    }
    throw new Fail(start, 'unterminated string');
  };
  const value = (path: string, depth: number): void => {
    if (depth > MAX_DEPTH) throw new Fail(i, `nested deeper than ${MAX_DEPTH} levels`);
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const seen = new Set<string>();
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') throw new Fail(i, `expected a key in double quotes, found ${describe(i)}`);
        const keyAt = i;
        const key = string();
        const p = member(path, key);
        if (seen.has(key)) {
          duplicates.push({ path: p, key, line: 0, column: 0 });
          dupAt.push(keyAt);
        }
        seen.add(key);
        ws();
        if (text[i] !== ':') throw new Fail(i, `expected ":" after key ${JSON.stringify(key)}, found ${describe(i)}`);
        i++;
        value(p, depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        throw new Fail(i, `expected "," or "}" after the value of ${JSON.stringify(key)}, found ${describe(i)}`);
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (let k = 0; ; k++) {
        value(`${path}[${k}]`, depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        throw new Fail(i, `expected "," or "]" in a list, found ${describe(i)}`);
      }
    }
    if (c === '"') {
      string();
      return;
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m !== null) {
      i += m[0].length;
      return;
    }
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return;
      }
    }
    throw new Fail(i, `expected a value, found ${describe(i)}`);
  };
  const located = () => {
    const ps = positions(text, dupAt);
    duplicates.forEach((d, k) => Object.assign(d, ps[k]));
    return duplicates;
  };
  try {
    value('$', 0);
    ws();
    if (i < n) throw new Fail(i, `unexpected ${describe(i)} after the document (one JSON object only)`);
    return { error: null, duplicates: located() };
  } catch (err) {
    if (!(err instanceof Fail)) throw err;
    return { error: { message: err.message, ...position(text, err.at) }, duplicates: located() };
  }
}

/** Line and column of each offset (given in increasing order), in one pass over the text. */
function positions(text: string, offsets: readonly number[]): TextPosition[] {
  const out: TextPosition[] = [];
  let line = 1;
  let lineStart = 0;
  let k = 0;
  for (const at of offsets) {
    for (; k < at; k++) {
      if (text.charCodeAt(k) === 0x0a) {
        line++;
        lineStart = k + 1;
      }
    }
    out.push({ line, column: at - lineStart + 1 });
  }
  return out;
}

/** The 1-based line and column of offset `at`. */
export function position(text: string, at: number): TextPosition {
  return positions(text, [at])[0]!;
}
