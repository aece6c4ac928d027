/**
 * Parsing of condition values that are not plain strings: numbers, dates, IP addresses and CIDR blocks.
 * @module
 */

/** AWS's Numeric operators compare integers and decimals: no exponent, no Infinity, no NaN, no hex. */
const DECIMAL = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*$/;

/**
 * A number as IAM's Numeric operators read it (an integer or a decimal), or NaN for anything else, including
 * exponents (`1e999`) and digit strings too long to be a finite number.
 */
export function parseNumber(s: string): number {
  if (!DECIMAL.test(s)) return NaN;
  const n = Number(s);
  return Number.isFinite(n) ? n : NaN;
}

const EPOCH = /^\s*-?\d+\s*$/;
const ISO_DATE = /^\d{4}(-\d{2}(-\d{2})?)?([Tt]\d{2}(:\d{2}(:\d{2}(\.\d+)?)?)?([Zz]|[+-]\d{2}(:?\d{2})?)?)?$/;

/** A date (W3C ISO 8601 or epoch seconds) as milliseconds since the epoch, or NaN. */
export function parseDate(s: string): number {
  if (EPOCH.test(s)) return Number(s) * 1000;
  const t = s.trim();
  if (!ISO_DATE.test(t)) return NaN;
  let norm = t.toUpperCase();
  if (/^\d{4}-\d{2}$/.test(norm)) norm += '-01';
  // an hour without minutes, and zones without a colon, in the form Date.parse reads
  norm = norm.replace(/T(\d{2})(?=$|Z|[+-])/, 'T$1:00').replace(/([+-]\d{2})(\d{2})$/, '$1:$2').replace(/(T[^+-]*[+-]\d{2})$/, '$1:00');
  // A date-time without a zone is UTC for IAM, not local time as in Date.parse.
  if (norm.includes('T') && !/(Z|[+-]\d{2}:\d{2})$/.test(norm)) norm += 'Z';
  return Date.parse(norm);
}

/** An IP network: 128-bit address as four 32-bit words (IPv4 in the last word), prefix length, family. */
export class IpNetwork {
  readonly v6: boolean;
  readonly words: Uint32Array;
  readonly prefix: number;
  readonly source: string;
  constructor(v6: boolean, words: Uint32Array, prefix: number, source: string) {
    this.v6 = v6;
    this.words = words;
    this.prefix = prefix;
    this.source = source;
  }
}

function parseV4(s: string, out: Uint32Array): boolean {
  const parts = s.split('.');
  if (parts.length !== 4) return false;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return false;
    const b = Number(p);
    if (b > 255) return false;
    n = n * 256 + b;
  }
  out[0] = 0;
  out[1] = 0;
  out[2] = 0;
  out[3] = n >>> 0;
  return true;
}

function parseV6(s: string, out: Uint32Array): boolean {
  let head = s;
  let v4tail: Uint32Array | null = null;
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.')) {
    v4tail = new Uint32Array(4);
    if (!parseV4(s.slice(lastColon + 1), v4tail)) return false;
    head = s.slice(0, lastColon + 1) + '0:0';
  }
  const dbl = head.indexOf('::');
  if (dbl !== head.lastIndexOf('::')) return false;
  let groups: string[];
  if (dbl >= 0) {
    const left = head.slice(0, dbl) === '' ? [] : head.slice(0, dbl).split(':');
    const right = head.slice(dbl + 2) === '' ? [] : head.slice(dbl + 2).split(':');
    const fill = 8 - left.length - right.length;
    if (fill < 1) return false;
    groups = [...left, ...new Array<string>(fill).fill('0'), ...right];
  } else {
    groups = head.split(':');
  }
  if (groups.length !== 8) return false;
  for (let i = 0; i < 4; i++) {
    const a = groups[2 * i]!;
    const b = groups[2 * i + 1]!;
    if (!/^[0-9a-fA-F]{1,4}$/.test(a) || !/^[0-9a-fA-F]{1,4}$/.test(b)) return false;
    out[i] = ((parseInt(a, 16) << 16) | parseInt(b, 16)) >>> 0;
  }
  if (v4tail !== null) out[3] = v4tail[3]!;
  return true;
}

/** Parses an address or CIDR block (a bare address is /32 or /128); null when invalid. */
export function parseIpNetwork(source: string): IpNetwork | null {
  const s = source.trim();
  const slash = s.indexOf('/');
  const addr = slash === -1 ? s : s.slice(0, slash);
  const words = new Uint32Array(4);
  const v6 = addr.includes(':');
  if (!(v6 ? parseV6(addr, words) : parseV4(addr, words))) return null;
  const max = v6 ? 128 : 32;
  let prefix = max;
  if (slash !== -1) {
    const p = s.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) return null;
    prefix = Number(p);
    if (prefix > max) return null;
  }
  return new IpNetwork(v6, words, prefix, source);
}

/** Whether address `a` (a network with full prefix) lies in network `n`. */
export function ipInNetwork(a: IpNetwork, n: IpNetwork): boolean {
  if (a.v6 !== n.v6) return false;
  let bits = n.v6 ? n.prefix : n.prefix + 96;
  for (let i = 0; i < 4 && bits > 0; i++) {
    const take = bits >= 32 ? 32 : bits;
    const mask = take === 32 ? 0xffffffff : ~(0xffffffff >>> take) >>> 0;
    if (((a.words[i]! & mask) >>> 0) !== ((n.words[i]! & mask) >>> 0)) return false;
    bits -= take;
  }
  return true;
}
