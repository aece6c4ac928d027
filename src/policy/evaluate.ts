/**
 * Evaluation with AWS's algorithm: any matching Deny in any policy in scope is final (explicit deny); otherwise
 * the request needs an Allow from the identity policies (or a resource-based policy), and an Allow within every
 * applicable boundary (permissions boundary, session policies); else implicit deny. With `explain: true` the
 * same pass records, for every statement that did not apply, the first reason.
 * @module
 */
import {
  B_ARN,
  B_BINARY,
  B_BOOL,
  B_DATE_EQ,
  B_DATE_GE,
  B_DATE_GT,
  B_DATE_LE,
  B_DATE_LT,
  B_IP,
  B_NULL,
  B_NUMERIC_EQ,
  B_NUMERIC_GT,
  B_NUMERIC_LE,
  B_NUMERIC_LT,
  B_STRING_EQUALS,
  B_STRING_EQUALS_IC,
  B_STRING_LIKE,
  SET_ALL,
  SET_ANY,
  SET_NONE,
} from './operators.js';
import { P_GLOB, P_TEMPLATE, displayPattern, globMatch, matchPattern, resolveTemplate, type CompiledPattern } from './pattern.js';
import { ipInNetwork } from './values.js';
import { prepareContext, type ContextValue, type PreparedContext } from './context.js';
import type { CompiledCondition, CompiledPolicy, CompiledPrincipal, CompiledStatement } from './compile.js';
import type { CrossAccountCheck, Decision, EvaluationResult, NotAppliedReason, RequestContext, StatementRef, StatementTrace } from './types.js';

/** The policies in scope for one request. */
export interface PolicySet {
  /** Identity-based policies: inline and attached managed policies of the principal. */
  identity?: readonly CompiledPolicy[];
  /** The permissions boundary, if the principal has one. */
  boundary?: CompiledPolicy | null;
  /** Session policies passed when the session was created (inline and managed ARNs). */
  session?: readonly CompiledPolicy[] | null;
  /** Resource-based policies of the target, or the role's trust policy for AssumeRole*. */
  resource?: readonly CompiledPolicy[];
}

/** Options of {@link evaluatePolicies}. */
export interface EvaluateOptions {
  /** Record every statement's outcome in `trace` (slower; for explanations). */
  explain?: boolean;
}

const MATCH = 0;
const NO_ACTION = 1;
const NO_RESOURCE = 2;
const NO_PRINCIPAL = 3;
const NO_CONDITION = 4;
const MATCH_SESSION = 5;

/** Segment-wise ARN glob: the first five colons split segments; the pattern's last segment matches the rest. */
export function arnMatchText(p: string, v: string): boolean {
  let ps = 0;
  let vs = 0;
  for (let seg = 0; seg < 5; seg++) {
    const pc = p.indexOf(':', ps);
    if (pc === -1) break;
    const vc = v.indexOf(':', vs);
    if (vc === -1) return false;
    if (!globMatch(p, ps, pc, v, vs, vc)) return false;
    ps = pc + 1;
    vs = vc + 1;
  }
  return globMatch(p, ps, p.length, v, vs, v.length);
}

function matchArnPattern(cp: CompiledPattern, v: string, ctx: PreparedContext): boolean {
  switch (cp.kind) {
    case P_TEMPLATE: {
      if (!v.startsWith(cp.head)) return false;
      const t = resolveTemplate(cp.parts!, ctx, false, true);
      return t !== null && arnMatchText(t, v);
    }
    case P_GLOB:
      return arnMatchText(cp.text, v);
    default: // any, exact, prefix: a wildcard can only be last, where ARN and plain matching agree
      return matchPattern(cp, v);
  }
}

function actionMatches(st: CompiledStatement, ctx: PreparedContext): boolean {
  const a = ctx.actionLower;
  const list = st.actions;
  let hit = false;
  for (let i = 0; i < list.length; i++) {
    if (matchPattern(list[i]!, a)) {
      hit = true;
      break;
    }
  }
  return hit !== st.notAction;
}

function resourceMatches(st: CompiledStatement, ctx: PreparedContext): boolean {
  const list = st.resources!;
  const r = ctx.resource;
  let hit = false;
  for (let i = 0; i < list.length; i++) {
    if (matchArnPattern(list[i]!, r, ctx)) {
      hit = true;
      break;
    }
  }
  return hit !== st.notResource;
}

/** 0: no match, 1: match, 2: match naming the exact assumed-role session ARN. */
function principalIn(p: CompiledPrincipal, ctx: PreparedContext): number {
  if (p.any) return 1;
  const rp = ctx.principal;
  if (rp === null) return 0;
  switch (rp.type) {
    case 'AWS': {
      if (p.awsAny) return 1;
      for (let i = 0; i < p.aws.length; i++) {
        const a = p.aws[i]!;
        if (a === rp.id) return rp.id.includes(':assumed-role/') ? 2 : 1;
        if (rp.roleArn !== undefined && a === rp.roleArn) return 1;
      }
      if (ctx.principalAccount !== null) {
        for (let i = 0; i < p.awsAccounts.length; i++) if (p.awsAccounts[i] === ctx.principalAccount) return 1;
      }
      return 0;
    }
    case 'Federated':
      for (let i = 0; i < p.federated.length; i++) if (p.federated[i] === rp.id) return 1;
      return 0;
    case 'Service':
      for (let i = 0; i < p.service.length; i++) if (p.service[i] === rp.id) return 1;
      return 0;
    default:
      for (let i = 0; i < p.canonical.length; i++) if (p.canonical[i] === rp.id) return 1;
      return 0;
  }
}

function stringValue(cp: CompiledPattern, ctx: PreparedContext, lower: boolean): string | null {
  return cp.kind === P_TEMPLATE ? resolveTemplate(cp.parts!, ctx, lower) : cp.text;
}

function compareNumbers(base: number, x: number, y: number): boolean {
  switch (base) {
    case B_NUMERIC_EQ:
    case B_DATE_EQ:
      return x === y;
    case B_NUMERIC_LT:
    case B_DATE_LT:
      return x < y;
    case B_NUMERIC_LE:
    case B_DATE_LE:
      return x <= y;
    case B_NUMERIC_GT:
    case B_DATE_GT:
      return x > y;
    default:
      return x >= y;
  }
}

/** The positive operator on request value `i` of `cv`: true iff it holds for some policy value (OR). */
function positive(c: CompiledCondition, cv: ContextValue, i: number, ctx: PreparedContext): boolean {
  const base = c.base;
  if (base === B_STRING_EQUALS || base === B_BINARY) {
    const r = cv.values[i]!;
    const ps = c.patterns;
    for (let j = 0; j < ps.length; j++) {
      const cp = ps[j]!;
      if (cp.kind === P_TEMPLATE ? resolveTemplate(cp.parts!, ctx, false) === r : cp.text === r) return true;
    }
    return false;
  }
  if (base === B_STRING_LIKE) {
    const r = cv.values[i]!;
    const ps = c.patterns;
    for (let j = 0; j < ps.length; j++) {
      const cp = ps[j]!;
      if (cp.kind !== P_TEMPLATE) {
        if (matchPattern(cp, r)) return true;
        continue;
      }
      const t = resolveTemplate(cp.parts!, ctx, false, true);
      if (t !== null && globMatch(t, 0, t.length, r, 0, r.length)) return true;
    }
    return false;
  }
  if (base === B_STRING_EQUALS_IC || base === B_BOOL) {
    const lr = cv.lower(i);
    const ps = c.patterns;
    for (let j = 0; j < ps.length; j++) {
      if (stringValue(ps[j]!, ctx, true) === lr) return true;
    }
    return false;
  }
  if (base === B_ARN) {
    const r = cv.values[i]!;
    const ps = c.patterns;
    for (let j = 0; j < ps.length; j++) if (matchArnPattern(ps[j]!, r, ctx)) return true;
    return false;
  }
  if (base >= B_NUMERIC_EQ && base <= B_DATE_GE) {
    const x = base >= B_DATE_EQ ? cv.date(i) : cv.number(i);
    if (x !== x) return false;
    const ns = c.numbers;
    for (let j = 0; j < ns.length; j++) if (compareNumbers(base, x, ns[j]!)) return true;
    return false;
  }
  if (base === B_IP) {
    const a = cv.ip(i);
    if (a === null) return false;
    const ns = c.networks;
    for (let j = 0; j < ns.length; j++) if (ipInNetwork(a, ns[j]!)) return true;
    return false;
  }
  return false;
}

/** Whether one condition (operator + key) holds for the request. */
function conditionHolds(c: CompiledCondition, ctx: PreparedContext): boolean {
  const cv = ctx.keys.get(c.keyLower);
  const present = cv !== undefined && cv.values.length > 0;
  if (c.base === B_NULL) {
    const w = c.nullWants;
    for (let i = 0; i < w.length; i++) if (w[i] === !present) return true;
    return false;
  }
  if (!present) {
    if (c.ifExists || c.set === SET_ALL) return true;
    if (c.set === SET_ANY) return false;
    return c.negated;
  }
  const values = cv.values;
  if (c.set === SET_NONE && values.length === 1) {
    return positive(c, cv, 0, ctx) !== c.negated;
  }
  if (c.set === SET_ALL) {
    for (let i = 0; i < values.length; i++) if (positive(c, cv, i, ctx) === c.negated) return false;
    return true;
  }
  // ForAnyValue, and a plain operator on a multi-valued key (treated as ForAnyValue)
  for (let i = 0; i < values.length; i++) if (positive(c, cv, i, ctx) !== c.negated) return true;
  return false;
}

/** Matches one statement: MATCH, MATCH_SESSION, or the first element that failed. */
function matchStatement(st: CompiledStatement, ctx: PreparedContext): number {
  if (!actionMatches(st, ctx)) return NO_ACTION;
  if (st.resources !== null && !resourceMatches(st, ctx)) return NO_RESOURCE;
  let how = MATCH;
  if (st.principal !== null) {
    if (st.principalNeverMatches) return NO_PRINCIPAL;
    const m = principalIn(st.principal, ctx);
    if ((m !== 0) === st.notPrincipal) return NO_PRINCIPAL;
    if (m === 2 && !st.notPrincipal) how = MATCH_SESSION;
  }
  const cs = st.conditions;
  for (let i = 0; i < cs.length; i++) if (!conditionHolds(cs[i]!, ctx)) return NO_CONDITION;
  return how;
}

const F_DENY = 1;
const F_ALLOW = 2;
const F_SESSION_ARN = 4;

function scanPolicy(policy: CompiledPolicy, ctx: PreparedContext, matched: CompiledStatement[], trace: StatementTrace[] | null): number {
  let flags = 0;
  const sts = policy.statements;
  for (let s = 0; s < sts.length; s++) {
    const st = sts[s]!;
    const code = matchStatement(st, ctx);
    const hit = code === MATCH || code === MATCH_SESSION;
    if (hit) {
      matched.push(st);
      if (st.deny) flags |= F_DENY;
      else flags |= code === MATCH_SESSION ? F_ALLOW | F_SESSION_ARN : F_ALLOW;
    }
    if (trace !== null) trace.push({ statement: st.ref, applied: hit, reason: hit ? null : explainMiss(st, ctx, code) });
  }
  return flags;
}

function scan(
  policies: readonly CompiledPolicy[] | null | undefined,
  ctx: PreparedContext,
  matched: CompiledStatement[],
  trace: StatementTrace[] | null,
): number {
  if (policies === null || policies === undefined) return 0;
  let flags = 0;
  for (let p = 0; p < policies.length; p++) flags |= scanPolicy(policies[p]!, ctx, matched, trace);
  return flags;
}

const DENY_PHRASE = {
  identity: 'with an explicit deny in an identity-based policy',
  boundary: 'with an explicit deny in a permissions boundary',
  session: 'with an explicit deny in a session policy',
  resource: 'with an explicit deny in a resource-based policy',
} as const;

/**
 * Evaluates a request against the policies in scope, as AWS does.
 * @example
 * const r = evaluatePolicies({ identity: [compiled] }, { action: 's3:GetObject', resource: 'arn:aws:s3:::b/k' });
 * r.decision // 'Allow' | 'ExplicitDeny' | 'ImplicitDeny'
 */
export function evaluatePolicies(set: PolicySet, context: RequestContext | PreparedContext, options?: EvaluateOptions): EvaluationResult {
  const ctx = prepareContext(context);
  const trace: StatementTrace[] | null = options?.explain === true ? [] : null;
  const matched: CompiledStatement[] = [];
  const boundary = set.boundary ?? null;
  const session = set.session ?? null;
  const idFlags = scan(set.identity, ctx, matched, trace);
  const bFlags = boundary === null ? 0 : scanPolicy(boundary, ctx, matched, trace);
  const sFlags = scan(session, ctx, matched, trace);
  const rFlags = scan(set.resource, ctx, matched, trace);
  let decision: Decision;
  const reasons: string[] = [];
  // AWS principal of one account, resource of another: both sides must allow (cross-account evaluation)
  const cross = ctx.principalAccount !== null && ctx.resourceAccount !== null && ctx.principalAccount !== ctx.resourceAccount;
  let crossAccount: CrossAccountCheck | null = null;
  if (((idFlags | bFlags | sFlags | rFlags) & F_DENY) !== 0) {
    decision = 'ExplicitDeny';
    for (let i = 0; i < matched.length; i++) {
      const st = matched[i]!;
      if (st.deny) {
        const phrase = DENY_PHRASE[st.ref.role];
        if (!reasons.includes(phrase)) reasons.push(phrase);
      }
    }
  } else {
    const boundaryOk = boundary === null || (bFlags & F_ALLOW) !== 0;
    const sessionOk = session === null || session.length === 0 || (sFlags & F_ALLOW) !== 0;
    const identityPath = (idFlags & F_ALLOW) !== 0 && boundaryOk && sessionOk;
    const resourcePath = (rFlags & F_ALLOW) !== 0 && ((rFlags & F_SESSION_ARN) !== 0 || (boundaryOk && sessionOk));
    if (cross) {
      crossAccount = {
        principalAccount: ctx.principalAccount!,
        resourceAccount: ctx.resourceAccount!,
        identityAllows: identityPath,
        resourceAllows: (rFlags & F_ALLOW) !== 0,
      };
    }
    if (cross ? identityPath && (rFlags & F_ALLOW) !== 0 : identityPath || resourcePath) {
      decision = 'Allow';
      for (let i = 0; i < matched.length; i++) {
        const st = matched[i]!;
        if (!st.deny && (identityPath || st.ref.role === 'resource')) reasons.push(st.allowedBy);
      }
      if (cross) reasons.push(`cross-account request (principal account ${ctx.principalAccount}, resource account ${ctx.resourceAccount}): both the identity-based and the resource-based policy allow`);
    } else {
      decision = 'ImplicitDeny';
      const action = ctx.action;
      if (cross && (identityPath || (rFlags & F_ALLOW) !== 0)) {
        // one side allows: name the side that is missing
        const who = `principal account ${ctx.principalAccount}, resource account ${ctx.resourceAccount}`;
        if (identityPath) reasons.push(`because no resource-based policy allows the ${action} action (cross-account request, ${who}: the resource's account must allow it too)`);
        else if ((idFlags & F_ALLOW) === 0) reasons.push(`because no identity-based policy allows the ${action} action (cross-account request, ${who}: a resource-based policy alone does not grant access to another account)`);
        else {
          if (!boundaryOk) reasons.push(`because no permissions boundary allows the ${action} action`);
          if (!sessionOk) reasons.push(`because no session policy allows the ${action} action`);
        }
      } else if ((idFlags & F_ALLOW) === 0 && (rFlags & F_ALLOW) === 0) {
        const hasResource = set.resource !== undefined && set.resource.length > 0;
        const hasIdentity = set.identity !== undefined && set.identity.length > 0;
        if (hasResource && !hasIdentity) reasons.push(`because no resource-based policy allows the ${action} action`);
        else reasons.push(`because no identity-based policy allows the ${action} action`);
      } else {
        if (!boundaryOk) reasons.push(`because no permissions boundary allows the ${action} action`);
        if (!sessionOk) reasons.push(`because no session policy allows the ${action} action`);
      }
    }
  }
  const refs: StatementRef[] = [];
  for (let i = 0; i < matched.length; i++) refs.push(matched[i]!.ref);
  return { decision, matchedStatements: refs, reasons, trace, crossAccount };
}

/**
 * AWS's AccessDenied message for a denied request (spec 6.8 wording).
 * @example
 * accessDeniedMessage(result, { principalArn, action: 'iam:CreateRole', resource: 'arn:aws:iam::1:role/x' })
 */
export function accessDeniedMessage(result: EvaluationResult, req: { principalArn: string; action: string; resource: string }): string {
  const reason = result.reasons[0] ?? `because no identity-based policy allows the ${req.action} action`;
  return `User: ${req.principalArn} is not authorized to perform: ${req.action} on resource: ${req.resource} ${reason}`;
}

// ---------------------------------------------------------------------------------------------- explanations

function listText(xs: readonly string[]): string {
  return xs.length === 1 ? JSON.stringify(xs[0]) : `[${xs.map((x) => JSON.stringify(x)).join(', ')}]`;
}

/** `action s3:GetObject not matched by Action "s3:List*"`, or `… is excluded by NotAction …`. */
function elementMiss(kind: 'action' | 'resource', value: string, element: string, not: boolean, patterns: readonly CompiledPattern[]): NotAppliedReason {
  const written = listText(patterns.map((p) => p.source));
  return { kind, message: not ? `${kind} ${value} is excluded by Not${element} ${written}` : `${kind} ${value} not matched by ${element} ${written}` };
}

function explainMiss(st: CompiledStatement, ctx: PreparedContext, code: number): NotAppliedReason {
  switch (code) {
    case NO_ACTION:
      return elementMiss('action', ctx.action, 'Action', st.notAction, st.actions);
    case NO_RESOURCE:
      return elementMiss('resource', ctx.resource, 'Resource', st.notResource, st.resources!);
    case NO_PRINCIPAL: {
      const who = ctx.principal === null ? 'no principal in the request' : `principal ${ctx.principal.type} ${ctx.principal.id}`;
      const el = st.notPrincipal ? 'NotPrincipal' : 'Principal';
      const message = st.principalNeverMatches
        ? 'NotPrincipal in an Allow statement of a trust policy never grants access'
        : st.notPrincipal
          ? `${who} is excluded by NotPrincipal ${JSON.stringify(st.principal!.source)}`
          : `${who} not matched by ${el} ${JSON.stringify(st.principal!.source)}`;
      return { kind: 'principal', message };
    }
    default:
      return explainConditions(st, ctx);
  }
}

function explainConditions(st: CompiledStatement, ctx: PreparedContext): NotAppliedReason {
  for (const c of st.conditions) {
    if (conditionHolds(c, ctx)) continue;
    const cv = ctx.keys.get(c.keyLower);
    const expected = c.raw.map((v, i) => (c.patterns[i] ? displayExpected(c.patterns[i]!, ctx, v) : v));
    if (cv === undefined || cv.values.length === 0) {
      const why = c.set === SET_ANY ? ' (ForAnyValue is false for a missing or empty key)' : '';
      return {
        kind: 'key-missing',
        operator: c.operator,
        key: c.key,
        expected,
        message: `${c.operator} on "${c.key}": the key is not in the request context${why}; expected ${listText(expected)}`,
      };
    }
    return {
      kind: 'condition',
      operator: c.operator,
      key: c.key,
      expected,
      actual: cv.values.slice(),
      message: `${c.operator} on "${c.key}": expected ${c.negated ? 'none of ' : ''}${listText(expected)}, request has ${listText(cv.values)}`,
    };
  }
  return { kind: 'condition', operator: '', key: '', expected: [], actual: null, message: 'conditions not met' };
}

function displayExpected(cp: CompiledPattern, ctx: PreparedContext, raw: string): string {
  if (cp.kind !== P_TEMPLATE) return raw;
  const t = resolveTemplate(cp.parts!, ctx, false, true);
  return t === null ? `${raw} (variable has no value)` : `${raw} = ${displayPattern(t)}`;
}
