/**
 * A deliberately plain evaluator over the parsed JSON: no compilation, regular expressions built on every call.
 * It is the benchmark's baseline and the oracle the tests compare the compiled engine against, so it is written
 * independently from `evaluate.ts` (only operator name parsing and value parsing are shared).
 * @module
 */
import { parseOperator } from './operators.js';
import { parseDate, parseIpNetwork, parseNumber, ipInNetwork } from './values.js';
import { accountOfArn, ACCOUNT_ID_PATTERN } from '../lib/aws-arn.js';
import type { Decision, PolicyDocument, PolicyStatement, RequestContext } from './types.js';

const asList = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function lookupKey(ctx: RequestContext, key: string): string[] | null {
  const keys = ctx.keys ?? {};
  const want = key.toLowerCase();
  const out: string[] = [];
  let found = false;
  for (const [k, v] of Object.entries(keys)) {
    if (k.toLowerCase() !== want) continue;
    found = true;
    if (Array.isArray(v)) for (const x of v) out.push(String(x));
    else out.push(String(v));
  }
  return found ? out : null;
}

function isMulti(ctx: RequestContext, key: string): boolean {
  for (const [k, v] of Object.entries(ctx.keys ?? {})) if (k.toLowerCase() === key.toLowerCase() && Array.isArray(v)) return true;
  return false;
}

/** A literal character for a wildcard text: the markers and the escape are escaped with \u0002. */
function lit(c: string, wild: boolean): string {
  return wild && (c === '\u0000' || c === '\u0001' || c === '\u0002') ? '\u0002' + c : c;
}

/**
 * Substitutes `${…}`; returns the text with wildcards marked by \u0000 (star) and \u0001 (qmark), any literal
 * marker character escaped by \u0002 (so a variable's value never turns into a wildcard), or null.
 */
function substitute(text: string, ctx: RequestContext, vars: boolean, wild: boolean): string | null {
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (vars && text.startsWith('${', i)) {
      const end = text.indexOf('}', i);
      if (end !== -1) {
        const start = i;
        const inner = text.slice(i + 2, end).trim();
        i = end + 1;
        if (inner === '*' || inner === '?' || inner === '$') {
          out += inner;
          continue;
        }
        const m = /^(.*?)\s*,\s*'(.*)'$/.exec(inner);
        const key = (m ? m[1]! : inner).trim();
        if (key === '') {
          out += text.slice(start, end + 1).replace(/\*/g, wild ? '\u0000' : '*').replace(/\?/g, wild ? '\u0001' : '?');
          continue;
        }
        const v = isMulti(ctx, key) ? null : lookupKey(ctx, key);
        if (v === null || v.length !== 1) {
          if (m === null) return null;
          out += [...m[2]!].map((c) => lit(c, wild)).join('');
        } else out += [...v[0]!].map((c) => lit(c, wild)).join('');
        continue;
      }
    }
    const c = text[i]!;
    out += wild && c === '*' ? '\u0000' : wild && c === '?' ? '\u0001' : lit(c, wild);
    i++;
  }
  return out;
}

function globRegex(marked: string, flags = ''): RegExp {
  let src = '';
  let escaped = false;
  for (const c of marked) {
    if (escaped) {
      src += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      escaped = false;
    } else if (c === '\u0002') escaped = true;
    else if (c === '\u0000') src += '[\\s\\S]*';
    else if (c === '\u0001') src += '[\\s\\S]';
    else src += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${src}$`, flags);
}

function arnLike(marked: string, value: string): boolean {
  const ps = marked.split(':');
  const vs = value.split(':');
  const pParts = ps.length > 6 ? [...ps.slice(0, 5), ps.slice(5).join(':')] : ps;
  const k = pParts.length;
  if (vs.length < k) return false;
  const vParts = [...vs.slice(0, k - 1), vs.slice(k - 1).join(':')];
  for (let i = 0; i < k; i++) if (!globRegex(pParts[i]!).test(vParts[i]!)) return false;
  return true;
}

function positiveOne(base: string, policyValue: string, r: string, ctx: RequestContext, vars: boolean): boolean {
  switch (base) {
    case 'StringEquals':
    case 'StringNotEquals':
      return substitute(policyValue, ctx, vars, false) === r;
    case 'StringEqualsIgnoreCase':
    case 'StringNotEqualsIgnoreCase':
      return substitute(policyValue, ctx, vars, false)?.toLowerCase() === r.toLowerCase();
    case 'StringLike':
    case 'StringNotLike': {
      const m = substitute(policyValue, ctx, vars, true);
      return m !== null && globRegex(m).test(r);
    }
    case 'Bool':
      return substitute(policyValue, ctx, vars, false)?.toLowerCase() === r.toLowerCase();
    case 'BinaryEquals':
      return policyValue === r;
    case 'ArnEquals':
    case 'ArnLike':
    case 'ArnNotEquals':
    case 'ArnNotLike': {
      const m = substitute(policyValue, ctx, vars, true);
      return m !== null && arnLike(m, r);
    }
    case 'IpAddress':
    case 'NotIpAddress': {
      const a = parseIpNetwork(r);
      const n = parseIpNetwork(policyValue);
      return a !== null && n !== null && ipInNetwork(a, n);
    }
    default: {
      const date = base.startsWith('Date');
      const x = date ? parseDate(r) : parseNumber(r);
      const y = date ? parseDate(policyValue) : parseNumber(policyValue);
      if (Number.isNaN(x) || Number.isNaN(y)) return false;
      if (base.endsWith('NotEquals') || base.endsWith('Equals') && !base.includes('Than')) return x === y;
      if (base.endsWith('LessThanEquals')) return x <= y;
      if (base.endsWith('LessThan')) return x < y;
      if (base.endsWith('GreaterThanEquals')) return x >= y;
      return x > y;
    }
  }
}

function conditionOk(op: string, key: string, raw: unknown, ctx: RequestContext, vars: boolean): boolean {
  const o = parseOperator(op)!;
  const policyValues = asList(raw as unknown).map(String);
  const values = lookupKey(ctx, key);
  const present = values !== null && values.length > 0;
  if (o.baseName === 'Null') return policyValues.some((v) => (v.toLowerCase() === 'true') === !present);
  if (!present) {
    if (o.ifExists) return true;
    if (o.set === 2) return true;
    if (o.set === 1) return false;
    return o.negated;
  }
  const test = (r: string) => {
    const any = policyValues.some((pv) => positiveOne(o.baseName, pv, r, ctx, vars));
    return o.negated ? !any : any;
  };
  if (o.set === 2) return values.every(test);
  return values.some(test);
}

function principalOk(p: PolicyStatement['Principal'], ctx: RequestContext): boolean {
  if (p === '*') return true;
  if (p === undefined || ctx.principal === undefined) return false;
  const rp = ctx.principal;
  const entries = asList(p[rp.type]);
  for (const e of entries) {
    if (rp.type === 'AWS') {
      if (e === '*' || e === rp.id || e === rp.roleArn) return true;
      const acct = rp.account ?? /^arn:[^:]*:[^:]*:[^:]*:(\d{12}):/.exec(rp.id)?.[1];
      if (acct !== undefined && (e === acct || e === `arn:aws:iam::${acct}:root`)) return true;
    } else if (e === rp.id) return true;
  }
  return false;
}

function statementApplies(s: PolicyStatement, ctx: RequestContext, vars: boolean, trust: boolean): boolean {
  const actions = asList(s.Action ?? s.NotAction);
  const aHit = actions.some((a) => globRegex(substitute(a, ctx, false, true)!, 'i').test(ctx.action));
  if (aHit === (s.NotAction !== undefined)) return false;
  const res = s.Resource ?? s.NotResource;
  if (res !== undefined) {
    const r = ctx.resource ?? '*';
    const hit = asList(res).some((p) => {
      if (p === '*') return true;
      const m = substitute(p, ctx, vars, true);
      return m !== null && arnLike(m, r);
    });
    if (hit === (s.NotResource !== undefined)) return false;
  }
  const pr = s.Principal ?? s.NotPrincipal;
  if (pr !== undefined) {
    if (trust && s.NotPrincipal !== undefined && s.Effect === 'Allow') return false;
    const hit = principalOk(pr, ctx);
    if (hit === (s.NotPrincipal !== undefined)) return false;
  }
  for (const [op, block] of Object.entries(s.Condition ?? {})) {
    for (const [key, raw] of Object.entries(block)) if (!conditionOk(op, key, raw, ctx, vars)) return false;
  }
  return true;
}

/** Documents in scope for {@link referenceEvaluate}. */
export interface ReferencePolicySet {
  identity?: PolicyDocument[];
  boundary?: PolicyDocument | null;
  session?: PolicyDocument[] | null;
  resource?: PolicyDocument[];
  /** Treat `resource` documents as trust policies (NotPrincipal in an Allow never matches). */
  trust?: boolean;
}

function scanDocs(docs: PolicyDocument[] | undefined | null, ctx: RequestContext, trust: boolean): { allow: boolean; deny: boolean } {
  let allow = false;
  let deny = false;
  for (const d of docs ?? []) {
    const vars = d.Version === '2012-10-17';
    for (const s of asList(d.Statement)) {
      if (!statementApplies(s, ctx, vars, trust)) continue;
      if (s.Effect === 'Deny') deny = true;
      else allow = true;
    }
  }
  return { allow, deny };
}

/**
 * The decision for a request, computed the plain way (reference oracle and benchmark baseline).
 * Ignores the assumed-role-session special case of resource-based policies.
 */
export function referenceEvaluate(set: ReferencePolicySet, ctx: RequestContext): Decision {
  const id = scanDocs(set.identity, ctx, false);
  const b = set.boundary ? scanDocs([set.boundary], ctx, false) : null;
  const s = set.session && set.session.length > 0 ? scanDocs(set.session, ctx, false) : null;
  const r = scanDocs(set.resource, ctx, set.trust === true);
  if (id.deny || b?.deny || s?.deny || r.deny) return 'ExplicitDeny';
  const limits = (b === null || b.allow) && (s === null || s.allow);
  const p = ctx.principal;
  const pAccount = p?.type === 'AWS' ? p.account ?? accountOfArn(p.id) ?? (ACCOUNT_ID_PATTERN.test(p.id) ? p.id : undefined) : undefined;
  const rAccount = ctx.resourceAccount ?? (ctx.resource === undefined ? undefined : accountOfArn(ctx.resource));
  if (pAccount !== undefined && rAccount !== undefined && pAccount !== rAccount) return id.allow && r.allow && limits ? 'Allow' : 'ImplicitDeny';
  if ((id.allow || r.allow) && limits) return 'Allow';
  return 'ImplicitDeny';
}
