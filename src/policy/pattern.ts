/**
 * Compiled string patterns: wildcards (`*`, `?`) and policy variables (`${aws:username}`, `${*}`, `${?}`, `${$}`,
 * `${key, 'default'}`) are resolved once at compile time into a string where wildcards are private-use sentinels,
 * so matching needs no regular expression and a `*` from a variable's value stays literal.
 * @module
 */

/** Sentinel for a wildcard `*` inside a compiled pattern. */
export const STAR = 0xe000;
/** Sentinel for a wildcard `?` inside a compiled pattern. */
export const QMARK = 0xe001;
/** Escape: the next character is literal (a sentinel character written in a policy or held by a variable's value). */
export const ESC = 0xe002;
const STAR_S = String.fromCharCode(STAR);
const QMARK_S = String.fromCharCode(QMARK);
const ESC_S = String.fromCharCode(ESC);

function isSentinel(c: number): boolean {
  return c === STAR || c === QMARK || c === ESC;
}

/** Text made literal for a wildcard pattern: each sentinel character it holds is escaped, so it never acts as `*` or `?`. */
export function escapeLiteral(text: string): string {
  let i = 0;
  while (i < text.length && !isSentinel(text.charCodeAt(i))) i++;
  if (i === text.length) return text;
  let out = text.slice(0, i);
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out += isSentinel(c) ? ESC_S + text[i]! : text[i]!;
  }
  return out;
}

export const P_ANY = 0;
export const P_EXACT = 1;
export const P_PREFIX = 2;
export const P_GLOB = 3;
export const P_TEMPLATE = 4;

/** One piece of a pattern that contains policy variables. */
export class TemplatePart {
  /** Literal text (already sentinel-encoded) or null for a variable. */
  readonly literal: string | null;
  /** Lower-cased context key of a variable. */
  readonly key: string;
  /** The variable's default, or null. */
  readonly fallback: string | null;
  constructor(literal: string | null, key: string, fallback: string | null) {
    this.literal = literal;
    this.key = key;
    this.fallback = fallback;
  }
}

/** A compiled pattern: kind, the sentinel-encoded text, and template parts when it has variables. */
export class CompiledPattern {
  readonly kind: number;
  /** Sentinel-encoded text (for P_PREFIX: the prefix without the trailing star). */
  readonly text: string;
  /** The pattern as written, for explanations. */
  readonly source: string;
  readonly parts: TemplatePart[] | null;
  /** For templates: the literal text before the first variable or wildcard; a match must start with it. */
  readonly head: string;
  constructor(kind: number, text: string, source: string, parts: TemplatePart[] | null) {
    this.kind = kind;
    this.text = text;
    this.source = source;
    this.parts = parts;
    let head = '';
    if (parts !== null && parts.length > 0 && parts[0]!.literal !== null) {
      const lit = parts[0]!.literal;
      let end = 0;
      while (end < lit.length && !isSentinel(lit.charCodeAt(end))) end++;
      head = lit.slice(0, end);
    }
    this.head = head;
  }
}

/** How to compile a pattern. */
export interface PatternOptions {
  /** `*` and `?` are wildcards (Action, Resource, StringLike, ArnLike), else literal (StringEquals). */
  wildcards: boolean;
  /** `${…}` are policy variables (Version 2012-10-17, Resource and string/ARN/Bool condition values). */
  variables: boolean;
  /** Lower-case the pattern (Action, IgnoreCase operators). */
  lower: boolean;
}

function encodeLiteral(text: string, o: PatternOptions): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (o.wildcards && c === '*') out += STAR_S;
    else if (o.wildcards && c === '?') out += QMARK_S;
    else if (o.wildcards && isSentinel(c.charCodeAt(0))) out += ESC_S + c;
    else out += o.lower ? c.toLowerCase() : c;
  }
  return out;
}

const VARIABLE = /\$\{([^}]*)\}/g;
const DEFAULT = /^\s*([^,\s][^,]*?)\s*,\s*'([^']*)'\s*$/;

/** Splits `${…}` references; returns null when the text has none (other than `${*}`, `${?}`, `${$}`). */
function parseTemplate(text: string, o: PatternOptions): { literal: string; parts: TemplatePart[] | null } {
  const parts: TemplatePart[] = [];
  let literal = '';
  let last = 0;
  let hasVariable = false;
  VARIABLE.lastIndex = 0;
  for (let m = VARIABLE.exec(text); m !== null; m = VARIABLE.exec(text)) {
    literal += encodeLiteral(text.slice(last, m.index), o);
    last = m.index + m[0].length;
    const inner = m[1]!.trim();
    if (inner === '*' || inner === '?' || inner === '$') {
      literal += inner; // escaped: always literal
      continue;
    }
    const d = DEFAULT.exec(inner);
    const key = (d ? d[1]! : inner).toLowerCase();
    const fallback = d ? (o.lower ? d[2]!.toLowerCase() : d[2]!) : null;
    if (key === '') {
      literal += encodeLiteral(m[0], o);
      continue;
    }
    hasVariable = true;
    if (literal !== '') parts.push(new TemplatePart(literal, '', null));
    literal = '';
    parts.push(new TemplatePart(null, key, fallback));
  }
  literal += encodeLiteral(text.slice(last), o);
  if (!hasVariable) return { literal, parts: null };
  if (literal !== '') parts.push(new TemplatePart(literal, '', null));
  return { literal: '', parts };
}

/** Compiles a pattern once; matching it later costs no allocation unless it holds variables. */
export function compilePattern(source: string, o: PatternOptions): CompiledPattern {
  if (o.variables && source.includes('${')) {
    const t = parseTemplate(source, o);
    if (t.parts !== null) return new CompiledPattern(P_TEMPLATE, '', source, t.parts);
    return classify(t.literal, source);
  }
  return classify(encodeLiteral(source, o), source);
}

function classify(text: string, source: string): CompiledPattern {
  if (text === STAR_S) return new CompiledPattern(P_ANY, text, source, null);
  let wild = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (isSentinel(c)) {
      wild = i;
      break;
    }
  }
  if (wild === -1) return new CompiledPattern(P_EXACT, text, source, null);
  // an escaped sentinel needs the glob matcher, which reads escapes
  if (text.includes(ESC_S)) return new CompiledPattern(P_GLOB, text, source, null);
  if (wild === text.length - 1 && text.charCodeAt(wild) === STAR) {
    return new CompiledPattern(P_PREFIX, text.slice(0, wild), source, null);
  }
  return new CompiledPattern(P_GLOB, text, source, null);
}

/** Glob of `p[ps, pe)` (sentinel wildcards) over `v[vs, ve)`: iterative, backtracks to the last star only. */
export function globMatch(p: string, ps: number, pe: number, v: string, vs: number, ve: number): boolean {
  const pl = pe;
  let pi = ps;
  let vi = vs;
  let starP = -1;
  let starV = 0;
  while (vi < ve) {
    if (pi < pl) {
      const c = p.charCodeAt(pi);
      if (c === STAR) {
        starP = pi++;
        starV = vi;
        continue;
      }
      if (c === ESC) {
        if (pi + 1 < pl && p.charCodeAt(pi + 1) === v.charCodeAt(vi)) {
          pi += 2;
          vi++;
          continue;
        }
      } else if (c === QMARK || c === v.charCodeAt(vi)) {
        pi++;
        vi++;
        continue;
      }
    }
    if (starP >= 0) {
      pi = starP + 1;
      vi = ++starV;
      continue;
    }
    return false;
  }
  while (pi < pl && p.charCodeAt(pi) === STAR) pi++;
  return pi === pl;
}

/** Whether a value as written holds a `*` or `?` other than the escapes `${*}` and `${?}` (for audits and lint). */
export function hasWildcard(written: string): boolean {
  return written.replace(/\$\{[*?$]\}/g, '').search(/[*?]/) !== -1;
}

/** Matches a non-template pattern against the whole of `v`. */
export function matchPattern(cp: CompiledPattern, v: string): boolean {
  switch (cp.kind) {
    case P_ANY:
      return true;
    case P_EXACT:
      return cp.text === v;
    case P_PREFIX:
      return v.startsWith(cp.text);
    default:
      return globMatch(cp.text, 0, cp.text.length, v, 0, v.length);
  }
}

/**
 * Resolves template parts into a sentinel-encoded string; null when a variable is absent without default. With
 * `wildcards` (the pattern is matched with {@link globMatch}) a value's sentinel characters are escaped, so a value
 * holding U+E000 stays a literal character and never becomes `*`.
 */
export function resolveTemplate(parts: readonly TemplatePart[], ctx: VariableSource, lower: boolean, wildcards = false): string | null {
  let out = '';
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part.literal !== null) {
      out += part.literal;
      continue;
    }
    const value = ctx.variable(part.key);
    if (value === null) {
      if (part.fallback === null) return null;
      out += wildcards ? escapeLiteral(part.fallback) : part.fallback;
    } else {
      const v = lower ? value.toLowerCase() : value;
      out += wildcards ? escapeLiteral(v) : v;
    }
  }
  return out;
}

/** Where policy variables get their values (the prepared request context). */
export interface VariableSource {
  /** The single value of a lower-cased key, or null when absent or multi-valued. */
  variable(key: string): string | null;
}

/** Turns a sentinel-encoded string back into the policy's notation, for explanations. */
export function displayPattern(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === ESC && i + 1 < text.length) out += text[++i]!;
    else if (c === STAR) out += '*';
    else if (c === QMARK) out += '?';
    else out += text[i]!;
  }
  return out;
}
