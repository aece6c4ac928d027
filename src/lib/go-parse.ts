/**
 * Go-compatible parsing of the values the EKS webhook reads with Go's standard library, so that a flag or an
 * annotation means exactly what it means upstream: `strconv.ParseInt(s, 10, 64)`, `strconv.ParseBool`,
 * `time.ParseDuration`, `path/filepath.Join` (Linux) and one record of `encoding/csv`.
 * @module
 */
import { GoParseError } from './errors.js';

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/**
 * Go `strconv.ParseInt(s, 10, 64)` without throwing: `undefined` when Go would return an error.
 * Accepts one optional leading `+`/`-` and ASCII digits only (no spaces, no underscores), within int64.
 * @example
 * tryParseGoInt('+3600'); // 3600
 * tryParseGoInt(' 1');    // undefined
 */
export function tryParseGoInt(s: string): number | undefined {
  const n = s.length;
  if (n === 0) return undefined;
  let i = 0;
  const first = s.charCodeAt(0);
  if (first === 43 /* + */ || first === 45 /* - */) {
    i = 1;
    if (n === 1) return undefined;
  }
  for (let j = i; j < n; j++) {
    const c = s.charCodeAt(j);
    if (c < 48 || c > 57) return undefined;
  }
  if (n - i <= 15) return Number(s) + 0; // + 0 turns "-0" into 0, as Go
  const big = BigInt(s);
  if (big > INT64_MAX || big < INT64_MIN) return undefined;
  return Number(big);
}

/**
 * Go `strconv.ParseInt(s, 10, 64)`; throws {@link GoParseError} with Go's message on invalid syntax or overflow.
 * @example
 * parseGoInt('-5'); // -5
 */
export function parseGoInt(s: string): number {
  const v = tryParseGoInt(s);
  if (v !== undefined) return v;
  const syntaxOk = /^[+-]?[0-9]+$/.test(s);
  throw new GoParseError(`strconv.ParseInt: parsing ${goQuote(s)}: ${syntaxOk ? 'value out of range' : 'invalid syntax'}`);
}

/**
 * Go `strconv.ParseBool` without throwing: `1 t T TRUE true True` ⇒ true, `0 f F FALSE false False` ⇒ false,
 * anything else (including '') ⇒ undefined.
 * @example
 * tryParseGoBool('True'); // true
 * tryParseGoBool('yes');  // undefined
 */
export function tryParseGoBool(s: string): boolean | undefined {
  switch (s) {
    case '1': case 't': case 'T': case 'TRUE': case 'true': case 'True':
      return true;
    case '0': case 'f': case 'F': case 'FALSE': case 'false': case 'False':
      return false;
    default:
      return undefined;
  }
}

/**
 * Go `strconv.ParseBool`; throws {@link GoParseError} for anything outside the twelve accepted spellings.
 * @example
 * parseGoBool('F'); // false
 */
export function parseGoBool(s: string): boolean {
  const v = tryParseGoBool(s);
  if (v === undefined) throw new GoParseError(`strconv.ParseBool: parsing ${goQuote(s)}: invalid syntax`);
  return v;
}

const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5 micro sign
  'μs': 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const TWO_63 = 1n << 63n;

/**
 * Go `time.ParseDuration`, in nanoseconds: a signed sequence of decimal numbers with units
 * (`ns us µs ms s m h`), e.g. `300ms`, `-1.5h`, `2h45m`; `0` alone needs no unit. Throws {@link GoParseError}.
 * Computed as Go does (integer nanoseconds, each fraction truncated on its own); exact below 2^53 ns (~104 days).
 * @example
 * parseGoDurationNs('1m30s'); // 90_000_000_000
 */
export function parseGoDurationNs(s: string): number {
  const orig = s;
  const invalid = (): never => {
    throw new GoParseError(`time: invalid duration ${goQuote(orig)}`);
  };
  let i = 0;
  let neg = false;
  if (s.length > 0 && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-';
    i = 1;
  }
  if (s.slice(i) === '0') return 0;
  if (i === s.length) invalid();
  let total = 0n;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (!(c === 46 || (c >= 48 && c <= 57))) invalid();
    const startInt = i;
    while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
    const intPart = s.slice(startInt, i);
    let fracPart = '';
    if (i < s.length && s[i] === '.') {
      i++;
      const startFrac = i;
      while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
      fracPart = s.slice(startFrac, i);
    }
    if (intPart === '' && fracPart === '') invalid();
    const startUnit = i;
    while (i < s.length) {
      const u = s.charCodeAt(i);
      if (u === 46 || (u >= 48 && u <= 57)) break;
      i++;
    }
    const unitName = s.slice(startUnit, i);
    if (unitName === '') throw new GoParseError(`time: missing unit in duration ${goQuote(orig)}`);
    const unit = UNIT_NS[unitName];
    if (unit === undefined) throw new GoParseError(`time: unknown unit ${goQuote(unitName)} in duration ${goQuote(orig)}`);
    const v = intPart === '' ? 0n : BigInt(intPart);
    if (v > TWO_63 / unit) invalid();
    let value = v * unit;
    // Go's leadingFraction: digits past int64 range are ignored; the fraction is scaled in float64, then truncated
    let f = 0n;
    let scale = 1;
    for (let j = 0; j < fracPart.length; j++) {
      const y = f * 10n + BigInt(fracPart.charCodeAt(j) - 48);
      if (f > (TWO_63 - 1n) / 10n || y > TWO_63) break;
      f = y;
      scale *= 10;
    }
    if (f > 0n) {
      value += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (value > TWO_63) invalid();
    }
    total += value;
    if (total > TWO_63) invalid();
  }
  if (!neg && total > TWO_63 - 1n) invalid();
  return Number(neg ? -total : total);
}

/**
 * Go `time.ParseDuration`, in milliseconds (may be fractional below 1 ms).
 * @example
 * parseGoDurationMs('500ms'); // 500
 */
export function parseGoDurationMs(s: string): number {
  return parseGoDurationNs(s) / 1e6;
}

/**
 * Go `path/filepath.Join` on Linux: joins the non-empty elements with `/` and cleans the result
 * (no repeated slashes, no `.` segments, `..` resolved, no trailing slash); '' when every element is empty.
 * @example
 * goFilepathJoin('/var/run/secrets/', 'token'); // '/var/run/secrets/token'
 */
export function goFilepathJoin(...elements: string[]): string {
  let joined = '';
  for (const e of elements) {
    if (e === '') continue;
    joined = joined === '' ? e : `${joined}/${e}`;
  }
  if (joined === '') return '';
  // Already clean (the usual "/var/run/.../serviceaccount" + "token"): skip the split/join.
  if (!CLEAN_NEEDED.test(joined)) return joined;
  return goPathClean(joined);
}

const CLEAN_NEEDED = /\/\/|(?:^|\/)\.\.?(?:\/|$)|.\/$/;

/** Go `path.Clean` (the Unix rules `filepath.Clean` follows on Linux). */
export function goPathClean(p: string): string {
  if (p === '') return '.';
  const rooted = p[0] === '/';
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(seg);
  }
  const body = out.join('/');
  if (rooted) return `/${body}`;
  return body === '' ? '.' : body;
}

/** The outcome of reading one CSV record: its fields, or Go's error text. */
export type CsvRecordResult = { ok: true; fields: string[] } | { ok: false; error: string };

/**
 * The first record of `encoding/csv` with default options (comma separator, RFC 4180 quotes, no trimming,
 * leading empty lines skipped, strict quotes): `"a,b",c` ⇒ `['a,b', 'c']`, `a, b` ⇒ `['a', ' b']`.
 * Empty input (EOF) and quote errors give `{ ok: false }`.
 * @example
 * parseGoCsvRecord('"side,car",app'); // { ok: true, fields: ['side,car', 'app'] }
 */
export function parseGoCsvRecord(raw: string): CsvRecordResult {
  // Go's readLine: "\r\n" becomes "\n" on every line, and a "\r" right before EOF is dropped.
  let input = raw.includes('\r') ? raw.replace(/\r\n/g, '\n') : raw;
  if (input.endsWith('\r')) input = input.slice(0, -1);
  const n = input.length;
  let pos = 0;
  let line = 1;
  while (pos < n && input.charCodeAt(pos) === 10) { pos++; line++; } // leading empty lines
  if (pos >= n) return { ok: false, error: 'EOF' };
  const fields: string[] = [];
  for (;;) {
    if (input.charCodeAt(pos) !== 34 /* " */) {
      let end = pos;
      while (end < n) {
        const c = input.charCodeAt(end);
        if (c === 44 || c === 10) break;
        end++;
      }
      const field = input.slice(pos, end);
      if (field.includes('"')) return { ok: false, error: `parse error on line ${line}: bare " in non-quoted-field` };
      fields.push(field);
      if (end < n && input.charCodeAt(end) === 44) { pos = end + 1; continue; }
      return { ok: true, fields };
    }
    pos++;
    let value = '';
    for (;;) {
      const q = input.indexOf('"', pos);
      if (q < 0) return { ok: false, error: `parse error on line ${line}: extraneous or missing " in quoted-field` };
      value += input.slice(pos, q);
      pos = q + 1;
      const next = pos < n ? input.charCodeAt(pos) : -1;
      if (next === 34) { value += '"'; pos++; continue; }
      if (next === 44) { pos++; fields.push(value); break; }
      if (next === -1 || next === 10) { fields.push(value); return { ok: true, fields }; }
      return { ok: false, error: `parse error on line ${line}: extraneous or missing " in quoted-field` };
    }
  }
}

/** Quotes a string the way Go's `%q` / `strconv.Quote` does for printable ASCII (enough for error messages). */
function goQuote(s: string): string {
  return JSON.stringify(s);
}

/**
 * Go `strconv.ParseInt(s, 0, 64)` as pflag parses int flags: base from the prefix (`0x` hex, `0o` or a leading
 * `0` octal, `0b` binary, else decimal) and `_` allowed between digits. Throws {@link GoParseError}.
 * @example
 * parseGoIntBase0('0x10'); // 16
 */
export function parseGoIntBase0(s: string): number {
  const fail = (why: string): never => {
    throw new GoParseError(`strconv.ParseInt: parsing ${goQuote(s)}: ${why}`);
  };
  let body = s;
  let neg = false;
  if (body[0] === '+' || body[0] === '-') {
    neg = body[0] === '-';
    body = body.slice(1);
  }
  let base = 10;
  let digits = body;
  if (/^0[xX]/.test(body)) { base = 16; digits = body.slice(2); }
  else if (/^0[oO]/.test(body)) { base = 8; digits = body.slice(2); }
  else if (/^0[bB]/.test(body)) { base = 2; digits = body.slice(2); }
  else if (body.length > 1 && body[0] === '0') { base = 8; digits = body.slice(1); }
  // Underscores only between digits (or right after a base prefix), as Go's underscoreOK.
  if (digits.includes('_')) {
    if (!/^_?[0-9a-zA-Z]+(_[0-9a-zA-Z]+)*$/.test(digits) || (digits.startsWith('_') && base === 10)) fail('invalid syntax');
    digits = digits.replace(/_/g, '');
  }
  const valid = base === 16 ? /^[0-9a-fA-F]+$/ : base === 8 ? /^[0-7]+$/ : base === 2 ? /^[01]+$/ : /^[0-9]+$/;
  if (!valid.test(digits)) fail('invalid syntax');
  const prefix = base === 16 ? '0x' : base === 8 ? '0o' : base === 2 ? '0b' : '';
  let big = BigInt(`${prefix}${digits}`);
  if (neg) big = -big;
  if (big > INT64_MAX || big < INT64_MIN) fail('value out of range');
  return Number(big);
}
