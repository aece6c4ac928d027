/**
 * Compiled policies: every pattern, principal and condition value turned into a matcher once, so evaluation does
 * no parsing, no regular expressions and allocates nothing for documents without policy variables.
 * A {@link PolicyCache} keyed by the document's hash compiles each distinct document once.
 * @module
 */
import { ACCOUNT_ID_PATTERN, parseIamArn } from '../lib/aws-arn.js';
import { parsePolicy, type ParsedPolicy, type ParsePolicyOptions } from './parse.js';
import { compilePattern, type CompiledPattern } from './pattern.js';
import { parseOperator, B_STRING_EQUALS_IC, B_STRING_LIKE, B_ARN, B_BOOL } from './operators.js';
import { IpNetwork, parseDate, parseIpNetwork, parseNumber } from './values.js';
import type { PolicyDocument, PolicyKind, PolicyStatement, PrincipalType, StatementRef, PolicyRole } from './types.js';

/** A compiled condition: one operator on one key, with its values compiled for the operator's family. */
export class CompiledCondition {
  readonly operator: string;
  readonly base: number;
  readonly negated: boolean;
  readonly ifExists: boolean;
  readonly set: number;
  /** Key as written, and lower-cased for lookup. */
  readonly key: string;
  readonly keyLower: string;
  /** Values as written (strings), for explanations. */
  readonly raw: string[];
  /** String, ARN and Bool values. */
  readonly patterns: CompiledPattern[];
  /** Numeric and Date values (Date in epoch milliseconds); NaN for an unparsable one. */
  readonly numbers: number[];
  readonly networks: IpNetwork[];
  /** Null: expects the key absent (true) or present (false), per value. */
  readonly nullWants: boolean[];

  constructor(operator: string, key: string, raw: string[], variables: boolean) {
    const o = parseOperator(operator);
    if (o === null) throw new TypeError(`unknown condition operator ${operator}`);
    this.operator = operator;
    this.base = o.base;
    this.negated = o.negated;
    this.ifExists = o.ifExists;
    this.set = o.set;
    this.key = key;
    this.keyLower = key.toLowerCase();
    this.raw = raw;
    this.patterns = [];
    this.numbers = [];
    this.networks = [];
    this.nullWants = [];
    switch (o.family) {
      case 'string':
      case 'arn':
      case 'bool': {
        const wildcards = o.base === B_STRING_LIKE || o.base === B_ARN;
        const lower = o.base === B_STRING_EQUALS_IC || o.base === B_BOOL;
        for (const v of raw) this.patterns.push(compilePattern(v, { wildcards, variables, lower }));
        break;
      }
      case 'numeric':
        for (const v of raw) this.numbers.push(parseNumber(v));
        break;
      case 'date':
        for (const v of raw) this.numbers.push(parseDate(v));
        break;
      case 'ip':
        for (const v of raw) {
          const n = parseIpNetwork(v);
          if (n !== null) this.networks.push(n);
        }
        break;
      case 'binary':
        for (const v of raw) this.patterns.push(compilePattern(v, { wildcards: false, variables: false, lower: false }));
        break;
      case 'null':
        for (const v of raw) this.nullWants.push(v.toLowerCase() === 'true');
        break;
    }
  }
}

function list(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : typeof v === 'string' ? [v] : v;
}

/** `#0 (Sid "X")`: a statement as explanations name it. */
export function describeRef(ref: StatementRef): string {
  return ref.sid === null ? `#${ref.index}` : `#${ref.index} (Sid "${ref.sid}")`;
}

/** A compiled Principal or NotPrincipal element. */
export class CompiledPrincipal {
  readonly any: boolean;
  readonly aws: string[];
  readonly awsAny: boolean;
  /** Accounts named by a 12-digit id or `arn:…:iam::ID:root`. */
  readonly awsAccounts: string[];
  readonly federated: string[];
  readonly service: string[];
  readonly canonical: string[];
  readonly source: unknown;

  constructor(p: '*' | Partial<Record<PrincipalType, string | string[]>>) {
    this.source = p;
    this.any = p === '*';
    this.aws = [];
    this.awsAccounts = [];
    this.awsAny = false;
    this.federated = [];
    this.service = [];
    this.canonical = [];
    if (p === '*') return;
    for (const a of list(p.AWS)) {
      if (a === '*') this.awsAny = true;
      else if (ACCOUNT_ID_PATTERN.test(a)) this.awsAccounts.push(a);
      else {
        const root = parseIamArn(a);
        if (root?.type === 'root' && ACCOUNT_ID_PATTERN.test(root.accountId)) this.awsAccounts.push(root.accountId);
        else this.aws.push(a);
      }
    }
    this.federated.push(...list(p.Federated));
    this.service.push(...list(p.Service));
    this.canonical.push(...list(p.CanonicalUser));
  }
}

const ROLE_NAMES: Record<PolicyRole, string> = {
  identity: 'identity-based policy',
  boundary: 'permissions boundary',
  session: 'session policy',
  resource: 'resource-based policy',
};

/** A compiled statement. */
export class CompiledStatement {
  readonly index: number;
  readonly sid: string | null;
  readonly deny: boolean;
  readonly actions: CompiledPattern[];
  readonly notAction: boolean;
  /** Null when the statement has neither Resource nor NotResource (trust policies). */
  readonly resources: CompiledPattern[] | null;
  readonly notResource: boolean;
  /** Null when the statement has neither Principal nor NotPrincipal (identity policies). */
  readonly principal: CompiledPrincipal | null;
  readonly notPrincipal: boolean;
  /** Allow statements with NotPrincipal in trust policies never match (IAM does not support it there). */
  readonly principalNeverMatches: boolean;
  readonly conditions: CompiledCondition[];
  readonly ref: StatementRef;
  /** The reason given when this statement allows a request (built once). */
  readonly allowedBy: string;
  readonly source: PolicyStatement;

  constructor(s: PolicyStatement, index: number, kind: PolicyKind, variables: boolean, name: string, role: PolicyRole) {
    this.source = s;
    this.index = index;
    this.sid = s.Sid ?? null;
    this.deny = s.Effect === 'Deny';
    this.notAction = s.NotAction !== undefined;
    this.actions = list(s.Action ?? s.NotAction).map((a) => compilePattern(a, { wildcards: true, variables: false, lower: true }));
    const res = s.Resource ?? s.NotResource;
    this.notResource = s.NotResource !== undefined;
    this.resources = res === undefined ? null : list(res).map((r) => compilePattern(r, { wildcards: true, variables, lower: false }));
    const pr = s.Principal ?? s.NotPrincipal;
    this.notPrincipal = s.NotPrincipal !== undefined;
    this.principal = pr === undefined ? null : new CompiledPrincipal(pr);
    this.principalNeverMatches = this.notPrincipal && !this.deny && kind === 'trust';
    this.conditions = [];
    for (const [op, block] of Object.entries(s.Condition ?? {})) {
      for (const [key, v] of Object.entries(block)) {
        const raw = (Array.isArray(v) ? v : [v]).map((x) => String(x));
        this.conditions.push(new CompiledCondition(op, key, raw, variables));
      }
    }
    this.ref = { policy: name, role, sid: this.sid, index, effect: this.deny ? 'Deny' : 'Allow' };
    this.allowedBy = `allowed by ${ROLE_NAMES[role]} "${name}" statement ${describeRef(this.ref)}`;
  }
}

/** A compiled policy: its statements, kind, name, role in evaluation and document hash. */
export class CompiledPolicy {
  readonly name: string;
  readonly kind: PolicyKind;
  readonly role: PolicyRole;
  readonly statements: CompiledStatement[];
  readonly parsed: ParsedPolicy;
  readonly hash: string;

  constructor(parsed: ParsedPolicy, name: string, role: PolicyRole, hash: string) {
    this.parsed = parsed;
    this.name = name;
    this.kind = parsed.kind;
    this.role = role;
    this.hash = hash;
    const variables = parsed.version === '2012-10-17';
    this.statements = parsed.statements.map((s, i) => new CompiledStatement(s, i, parsed.kind, variables, name, role));
  }
}

/** Options of {@link compilePolicy}. */
export interface CompilePolicyOptions extends ParsePolicyOptions {
  /** Shown in explanations (file name, policy name or ARN). */
  name?: string;
  /** Which family it plays in evaluation; defaults from the kind. */
  role?: PolicyRole;
}

function defaultRole(kind: PolicyKind): PolicyRole {
  switch (kind) {
    case 'boundary':
      return 'boundary';
    case 'session':
      return 'session';
    case 'trust':
    case 'resource':
      return 'resource';
    default:
      return 'identity';
  }
}

/** FNV-1a over the canonical text, two 32-bit lanes: a cache key, not a security hash. */
export function documentHash(text: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  }
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}

/**
 * Parses, validates and compiles a policy document.
 * @example
 * const p = compilePolicy(readFileSync('policy.json', 'utf8'), { kind: 'managed', name: 'policy.json' });
 */
export function compilePolicy(input: string | PolicyDocument | ParsedPolicy, options: CompilePolicyOptions): CompiledPolicy {
  const parsed = isParsed(input) ? input : parsePolicy(input, options);
  const name = options.name ?? 'policy';
  const canonical = JSON.stringify(parsed.document);
  return new CompiledPolicy(parsed, name, options.role ?? defaultRole(parsed.kind), documentHash(canonical));
}

function isParsed(x: unknown): x is ParsedPolicy {
  return typeof x === 'object' && x !== null && 'statements' in x && 'document' in x && 'kind' in x;
}

/**
 * Compiles each distinct document once: entries are keyed by kind, role, name and document hash (the text is
 * compared too, so a hash collision cannot return the wrong policy). Least recently used entries are dropped.
 */
export class PolicyCache {
  readonly maxEntries: number;
  private readonly entries = new Map<string, { text: string; policy: CompiledPolicy }>();
  hits = 0;
  misses = 0;

  constructor(options: { maxEntries?: number } = {}) {
    this.maxEntries = options.maxEntries ?? 1000;
  }

  /** The compiled policy for this document, compiling it on first use. */
  compile(input: string | PolicyDocument, options: CompilePolicyOptions): CompiledPolicy {
    const text = typeof input === 'string' ? input : JSON.stringify(input);
    const key = `${options.kind}|${options.role ?? ''}|${options.name ?? ''}|${documentHash(text)}`;
    const hit = this.entries.get(key);
    if (hit !== undefined && hit.text === text) {
      this.hits++;
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.policy;
    }
    this.misses++;
    const policy = compilePolicy(text, options);
    this.entries.set(key, { text, policy });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    return policy;
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}

/**
 * A cache for compiled policies (no module-level cache: each plane or CLI run owns one).
 * @example
 * const cache = createPolicyCache({ maxEntries: 500 });
 * const p = cache.compile(doc, { kind: 'managed', name: 'ReadOnlyAccess' });
 */
export function createPolicyCache(options: { maxEntries?: number } = {}): PolicyCache {
  return new PolicyCache(options);
}
