/**
 * Parsing and validating policy documents with AWS's `MalformedPolicyDocument` messages (checked in the order IAM
 * reports them), the size quotas counted as IAM counts (whitespace outside strings excluded), and lint warnings
 * for documents IAM accepts but that are almost surely mistakes.
 * @module
 */
import { parseArn } from '../lib/aws-arn.js';
import { MalformedPolicyDocumentError, PolicyError, PolicySizeLimitError, type PolicyDuplicateKey } from './errors.js';
import { scanJson } from './json.js';
import { parseOperator } from './operators.js';
import { hasWildcard } from './pattern.js';
import { parseDate, parseIpNetwork, parseNumber } from './values.js';
import type { PolicyDocument, PolicyKind, PolicyStatement } from './types.js';
import { isRecord } from '../lib/is-record.js';

/** AWS's messages, verbatim. */
export const MESSAGES = {
  syntax: 'Syntax errors in policy.',
  version: 'Policy document must be version 2012-10-17 or greater.',
  legacy: 'The policy failed legacy parsing',
  sid: 'Statement IDs (SID) in a single policy must be unique.',
  actions: 'Policy statement must contain actions.',
  resources: 'Policy statement must contain resources.',
  principalForbidden: 'Policy document should not specify a principal.',
  principalRequired: 'Missing required field Principal',
  resourceForbidden: 'Has prohibited field Resource.',
  vendor: 'Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.',
  colon: 'Actions/Condition can contain only one colon.',
  resourceVendor: 'Resource vendor must be fully qualified and cannot contain regexes.',
  trustActions:
    'Trust Policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML,  and sts:AssumeRoleWithWebIdentity',
} as const;

/** Size quotas in characters, whitespace not counted. */
export const SIZE_LIMITS: Readonly<Record<PolicyKind, number>> = {
  trust: 2048,
  inline: 10240,
  identity: 10240,
  managed: 6144,
  boundary: 6144,
  session: 2048,
  resource: 20480,
};

/** A lint warning: accepted by IAM, almost surely a mistake. */
export interface PolicyWarning {
  code: string;
  /** 0-based statement index, or null for the document. */
  statement: number | null;
  message: string;
}

/** A parsed, validated policy. */
export interface ParsedPolicy {
  kind: PolicyKind;
  document: PolicyDocument;
  /** `Statement` as a list. */
  statements: PolicyStatement[];
  /** `2012-10-17`, `2008-10-17`, or null when absent. */
  version: string | null;
  /** Size as IAM counts it. */
  size: number;
  warnings: PolicyWarning[];
  /**
   * Keys written twice in one object (only with `allowDuplicateKeys`; otherwise such a document is refused).
   * `document` holds the last of each, as `JSON.parse` keeps it.
   */
  duplicateKeys: PolicyDuplicateKey[];
}

/** Options of {@link parsePolicy}. */
export interface ParsePolicyOptions {
  kind: PolicyKind;
  /** Name used in the inline-policy size message (`… exceeded for role NAME`). */
  roleName?: string;
  /** Skip the size quota (documents built in memory). */
  skipSizeCheck?: boolean;
  /**
   * Accept a document whose JSON repeats a key (keeping the last, as `JSON.parse` does) and list the repeats in
   * `duplicateKeys`: for the auditor, which reports them. IAM refuses such a document, and so does the default.
   */
  allowDuplicateKeys?: boolean;
}

const TOP = new Set(['Version', 'Id', 'Statement']);
const ELEMENTS = new Set(['Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);
const PRINCIPAL_TYPES = new Set(['AWS', 'Federated', 'Service', 'CanonicalUser']);
const PARTITIONS = new Set(['aws', 'aws-cn', 'aws-us-gov', 'aws-iso', 'aws-iso-b', 'aws-iso-e', 'aws-iso-f', 'aws-eusc']);
const TRUST_ACTIONS = new Set([
  'sts:assumerole',
  'sts:assumerolewithsaml',
  'sts:assumerolewithwebidentity',
  'sts:tagsession',
  'sts:setsourceidentity',
  'sts:setcontext',
]);
const IAM_PATHS = [
  'user/', 'federated-user/', 'role/', 'group/', 'instance-profile/', 'mfa/', 'server-certificate/', 'policy/',
  'sms-mfa/', 'saml-provider/', 'oidc-provider/', 'report/', 'access-report/',
];
/** The account's root user (`arn:aws:iam::123456789012:root`): an IAM ARN with no path, which IAM accepts as a resource. */
const IAM_ROOT = 'root';
/**
 * S3 resource types whose ARNs carry a region (AWS's Service Authorization Reference); buckets and objects
 * (`arn:aws:s3:::bucket/key`) do not, and a region there is the mistake IAM refuses.
 */
const S3_REGIONAL_TYPES = ['accesspoint/', 'access-grants/', 'job/', 'storage-lens/', 'storage-lens-group/', 'async-request/'];
/** Global keys that are single-valued: a set operator on them is a mistake (Access Analyzer warns the same). */
const SINGLE_VALUED = new Set([
  'aws:sourceip', 'aws:username', 'aws:userid', 'aws:principalarn', 'aws:principalaccount', 'aws:currenttime',
  'aws:epochtime', 'aws:securetransport', 'aws:sourcevpc', 'aws:sourcevpce', 'aws:requestedregion',
  'aws:principaltype', 'aws:sourceaccount', 'aws:sourcearn', 'aws:sourceidentity', 'aws:multifactorauthpresent',
  'sts:rolesessionname', 'sts:externalid',
]);

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * The size of a policy as IAM counts it: characters, without the whitespace outside JSON strings.
 * @example
 * policySize('{ "Version": "2012-10-17" }') // 22
 */
export function policySize(text: string): number {
  let n = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      n++;
      if (c === 0x5c) {
        n++;
        i++;
      } else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
      n++;
    } else if (!isWs(c)) n++;
  }
  return n;
}

function isStringOrList(v: unknown): boolean {
  if (typeof v === 'string') return true;
  if (!Array.isArray(v)) return false;
  for (const e of v) if (typeof e !== 'string') return false;
  return true;
}

function list(v: unknown): string[] {
  if (v === undefined) return [];
  return typeof v === 'string' ? [v] : (v as string[]);
}


function malformed(message: string, detail?: string): never {
  throw new MalformedPolicyDocumentError(message, detail === undefined ? {} : { detail });
}

const q = (v: unknown) => JSON.stringify(v);

function checkSyntax(doc: unknown): asserts doc is PolicyDocument {
  if (!isRecord(doc)) malformed(MESSAGES.syntax, 'the document must be a JSON object with "Version" and "Statement"');
  for (const k of Object.keys(doc)) if (!TOP.has(k)) malformed(MESSAGES.syntax, `unknown element ${q(k)} at $ (allowed: Version, Id, Statement)`);
  if ('Version' in doc && doc.Version !== '2012-10-17' && doc.Version !== '2008-10-17') {
    malformed(MESSAGES.syntax, `Version ${q(doc.Version)} at $.Version is not "2012-10-17" or "2008-10-17"`);
  }
  if ('Id' in doc && typeof doc.Id !== 'string') malformed(MESSAGES.syntax, 'Id at $.Id must be a string');
  const st = doc.Statement;
  if (!(isRecord(st) || (Array.isArray(st) && st.length > 0))) {
    malformed(MESSAGES.syntax, 'Statement at $.Statement must be an object or a non-empty list of objects');
  }
  const list = Array.isArray(st) ? st : [st];
  list.forEach((s, i) => checkStatementSyntax(s, Array.isArray(st) ? `$.Statement[${i}]` : '$.Statement'));
}

function checkPrincipalSyntax(p: unknown): void {
  if (p === '*') return;
  if (!isRecord(p) || Object.keys(p).length === 0) malformed(MESSAGES.syntax);
  for (const [k, v] of Object.entries(p)) {
    if (!PRINCIPAL_TYPES.has(k) || !isStringOrList(v)) malformed(MESSAGES.syntax);
  }
}

function checkStatementSyntax(s: unknown, path: string): void {
  if (!isRecord(s)) malformed(MESSAGES.syntax, `${path} must be a statement object`);
  for (const k of Object.keys(s)) {
    if (!ELEMENTS.has(k)) malformed(MESSAGES.syntax, `unknown element ${q(k)} at ${path} (allowed: ${[...ELEMENTS].join(', ')})`);
  }
  if ('Resource' in s && 'NotResource' in s) malformed(MESSAGES.syntax, `${path} has both Resource and NotResource; keep one`);
  if ('Action' in s && 'NotAction' in s) malformed(MESSAGES.syntax, `${path} has both Action and NotAction; keep one`);
  if ('Principal' in s && 'NotPrincipal' in s) malformed(MESSAGES.syntax, `${path} has both Principal and NotPrincipal; keep one`);
  if (typeof s.Effect !== 'string' || !['allow', 'deny'].includes(s.Effect.toLowerCase())) {
    malformed(MESSAGES.syntax, `Effect ${s.Effect === undefined ? 'is missing' : q(s.Effect)} at ${path}.Effect: must be "Allow" or "Deny"`);
  }
  for (const k of ['Action', 'NotAction', 'Resource', 'NotResource']) {
    if (k in s && !isStringOrList(s[k])) malformed(MESSAGES.syntax);
  }
  if ('Principal' in s) checkPrincipalSyntax(s.Principal);
  if ('NotPrincipal' in s) checkPrincipalSyntax(s.NotPrincipal);
  if ('Sid' in s && typeof s.Sid !== 'string') malformed(MESSAGES.syntax);
  if ('Condition' in s) {
    if (!isRecord(s.Condition)) malformed(MESSAGES.syntax);
    for (const [op, block] of Object.entries(s.Condition)) {
      if (!isRecord(block)) malformed(MESSAGES.syntax);
      if (parseOperator(op) === null) malformed(MESSAGES.syntax);
      for (const v of Object.values(block)) {
        const ok = (x: unknown) => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean';
        if (!(ok(v) || (Array.isArray(v) && v.every(ok)))) malformed(MESSAGES.syntax);
      }
    }
  }
}

function checkDateValue(v: string): void {
  if (Number.isNaN(parseDate(v))) malformed(MESSAGES.legacy);
}

/** A bucket's ARN (`arn:aws:s3:::bucket`), not an object's or a pattern's. */
function isS3BucketArn(resource: string): boolean {
  const arn = parseArn(resource);
  return arn !== undefined && arn.service === 's3' && arn.region === '' && arn.accountId === '' && /^[^/*?]+$/.test(arn.resource);
}

// AWS's own validator walks the colons of a pattern (wildcards allowed, fields may be missing) to word its message; kept
// as its grammar, not ARN parsing (lib/aws-arn.ts parses ARNs).
function resourceError(resource: string): string | null {
  if (resource === '*') return null;
  const c1 = resource.indexOf(':');
  if (c1 === -1) return `Resource ${resource} must be in ARN format or "*".`;
  const rest = resource.slice(c1 + 1);
  const c2 = rest.indexOf(':');
  const partition = c2 === -1 ? rest : rest.slice(0, c2);
  if (partition !== '*' && !PARTITIONS.has(partition)) {
    const more = c2 === -1 ? [] : rest.slice(c2 + 1).split(':');
    const a1 = more[0] !== undefined && (more[0] !== '' || more.length > 1) ? more[0] : '*';
    const a2 = more.length > 1 ? more[1] : '*';
    const a3 = more.length > 2 ? more[2] : '*';
    const a4 = more.length > 3 ? more.slice(3).join(':') : '*';
    return `Partition "${partition}" is not valid for resource "arn:${partition}:${a1}:${a2}:${a3}:${a4}".`;
  }
  if (c2 === -1) return MESSAGES.resourceVendor;
  const afterPartition = rest.slice(c2 + 1);
  const c3 = afterPartition.indexOf(':');
  const service = c3 === -1 ? afterPartition : afterPartition.slice(0, c3);
  if (service === '' || service.includes('*') || service.includes('?')) return MESSAGES.resourceVendor;
  if (c3 === -1) return MESSAGES.resourceVendor;
  const afterService = afterPartition.slice(c3 + 1);
  const c4 = afterService.indexOf(':');
  const region = c4 === -1 ? afterService : afterService.slice(0, c4);
  const afterRegion = c4 === -1 ? '' : afterService.slice(c4 + 1);
  const c5 = afterRegion.indexOf(':');
  const resourceId = c5 === -1 ? '' : afterRegion.slice(c5 + 1);
  if (service === 'iam' && region !== '') return `IAM resource ${resource} cannot contain region information.`;
  if (service === 's3' && region !== '' && !S3_REGIONAL_TYPES.some((t) => resourceId.startsWith(t))) {
    return `Resource ${resource} can not contain region information.`;
  }
  if (service === 'iam' && c5 !== -1 && resourceId !== IAM_ROOT && !IAM_PATHS.some((p) => resourceId.startsWith(p)) && !resourceId.startsWith('*') && resourceId !== '') {
    return `IAM resource path must either be "*" or start with ${IAM_PATHS.join(', ')}.`;
  }
  return null;
}

function actionError(action: string): string | null {
  const parts = action.split(':');
  if (parts.length === 1 && parts[0] !== '*') return MESSAGES.vendor;
  if (parts.length > 2) return MESSAGES.colon;
  if (parts[0] !== '*' && /[^a-zA-Z0-9\-.]/.test(parts[0]!)) return `Vendor ${parts[0]} is not valid`;
  return null;
}

/**
 * Parses and validates a policy document; throws {@link MalformedPolicyDocumentError} with AWS's message for the
 * first defect IAM would report, or {@link PolicySizeLimitError} over the kind's quota.
 * @example
 * const parsed = parsePolicy('{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}', { kind: 'managed' });
 */
export function parsePolicy(input: string | PolicyDocument, options: ParsePolicyOptions): ParsedPolicy {
  const kind = options.kind;
  let text: string;
  let doc: unknown;
  let duplicateKeys: PolicyDuplicateKey[] = [];
  if (typeof input === 'string') {
    text = input;
    const scan = scanJson(input);
    if (scan.error !== null) {
      const e = scan.error;
      throw new MalformedPolicyDocumentError(MESSAGES.syntax, { detail: `JSON syntax error at line ${e.line}, column ${e.column}: ${e.message}` });
    }
    duplicateKeys = scan.duplicates;
    // IAM's grammar allows each element once; a repeated key is refused, since a reader sees the first and JSON.parse keeps the last
    if (duplicateKeys.length > 0 && options.allowDuplicateKeys !== true) {
      throw new MalformedPolicyDocumentError(MESSAGES.syntax, { detail: duplicateKeysText(duplicateKeys), duplicateKeys });
    }
    try {
      doc = JSON.parse(input);
    } catch (cause) {
      throw new MalformedPolicyDocumentError(MESSAGES.syntax, { cause });
    }
  } else {
    doc = input;
    text = JSON.stringify(input);
  }
  checkSyntax(doc);
  const size = policySize(text);
  if (!options.skipSizeCheck) checkSize(size, kind, options.roleName);
  const statements: PolicyStatement[] = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  const trustLike = kind === 'trust' || kind === 'resource';
  const version = doc.Version ?? null;
  // Trust and resource policies still accept 2008-10-17 (and default to it); identity policies need 2012-10-17.
  if (version !== '2012-10-17' && !trustLike) malformed(MESSAGES.version);

  // "legacy parsing": exact-case Effect, Date values, ARN shapes
  for (const [i, s] of statements.entries()) {
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') {
      malformed(MESSAGES.legacy, `Effect ${q(s.Effect)} at $.Statement${Array.isArray(doc.Statement) ? `[${i}]` : ''}.Effect: must be "Allow" or "Deny" (case-sensitive)`);
    }
    if (s.Condition) {
      for (const [op, block] of Object.entries(s.Condition)) {
        if (parseOperator(op)!.family !== 'date') continue;
        for (const v of Object.values(block)) for (const x of Array.isArray(v) ? v : [v]) checkDateValue(String(x));
      }
    }
  }
  const sids = new Set<string>();
  for (const s of statements) {
    if (s.Sid) {
      if (sids.has(s.Sid)) malformed(MESSAGES.sid);
      sids.add(s.Sid);
    }
  }
  for (const s of statements) {
    const a = s.Action ?? s.NotAction;
    if (a === undefined || (Array.isArray(a) && a.length === 0)) malformed(MESSAGES.actions);
  }
  for (const s of statements) {
    for (const r of [...list(s.Resource), ...list(s.NotResource)].sort().reverse()) {
      const e = resourceError(r);
      if (e !== null) malformed(e);
    }
  }
  for (const s of statements) {
    for (const a of [...list(s.Action), ...list(s.NotAction)]) {
      const e = actionError(a);
      if (e !== null) malformed(e);
    }
  }
  // in IAM's order: Principal required (trust, resource), trust actions and no Resource (trust), Resource required
  // (every other kind), no Principal (identity kinds)
  if (trustLike) {
    for (const s of statements) {
      if (!('Principal' in s) && !('NotPrincipal' in s)) malformed(MESSAGES.principalRequired);
    }
  }
  if (kind === 'trust') {
    for (const s of statements) {
      for (const a of list(s.Action ?? s.NotAction)) {
        if (!TRUST_ACTIONS.has(a.toLowerCase()) && !isTrustWildcard(a)) malformed(MESSAGES.trustActions);
      }
    }
    for (const s of statements) if ('Resource' in s || 'NotResource' in s) malformed(MESSAGES.resourceForbidden);
  } else {
    for (const s of statements) {
      const r = s.Resource ?? s.NotResource;
      if (r === undefined || (Array.isArray(r) && r.length === 0)) malformed(MESSAGES.resources);
    }
  }
  if (!trustLike) {
    for (const s of statements) if ('Principal' in s || 'NotPrincipal' in s) malformed(MESSAGES.principalForbidden);
  }
  const parsed: ParsedPolicy = { kind, document: doc, statements, version, size, warnings: [], duplicateKeys };
  parsed.warnings = lintPolicy(parsed);
  return parsed;
}

/** Every repeated key, one clause each: `duplicate key "Effect" at $.Statement[0].Effect (line 3, column 5)`. */
export function duplicateKeysText(keys: readonly PolicyDuplicateKey[]): string {
  const shown = keys.slice(0, DUPLICATES_IN_TEXT).map((d) => `duplicate key ${q(d.key)} at ${d.path} (line ${d.line}, column ${d.column})`);
  if (keys.length > DUPLICATES_IN_TEXT) shown.push(`and ${keys.length - DUPLICATES_IN_TEXT} more (all in duplicateKeys)`);
  return shown.join('; ');
}

/** How many repeats the one-line detail names; `duplicateKeys` holds every one. */
const DUPLICATES_IN_TEXT = 100;

/** `sts:*`, `*`, `sts:AssumeRole*`: accepted in trust policies (they match the allowed actions). */
function isTrustWildcard(a: string): boolean {
  const l = a.toLowerCase();
  return (l.includes('*') || l.includes('?')) && (l === '*' || l.startsWith('sts:'));
}

function checkSize(size: number, kind: PolicyKind, roleName: string | undefined): void {
  const limit = SIZE_LIMITS[kind];
  if (size <= limit) return;
  let message: string;
  switch (kind) {
    case 'trust':
      message = `Cannot exceed quota for ACLSizePerRole: ${limit}`;
      break;
    case 'managed':
    case 'boundary':
      message = `Cannot exceed quota for PolicySize: ${limit}`;
      break;
    case 'inline':
    case 'identity':
      message = `Maximum policy size of ${limit} bytes exceeded for role ${roleName ?? '(role)'}`;
      break;
    default:
      message = `Policy of ${size} characters exceeds the ${kind} policy limit of ${limit} characters`;
  }
  throw new PolicySizeLimitError(message, size, limit);
}

/** The result of {@link validatePolicy}: never throws for a bad document. */
export interface ValidationResult {
  valid: boolean;
  /**
   * AWS's error code and message for the first defect, or null; `detail` says where and what (line and column,
   * the field, every duplicate key with its JSON path) when known.
   */
  error: { code: string; message: string; detail?: string; duplicateKeys?: PolicyDuplicateKey[] } | null;
  warnings: PolicyWarning[];
  size: number | null;
  kind: PolicyKind;
}

/**
 * Validates a policy document and returns AWS's verdict instead of throwing.
 * @example
 * validatePolicy('{"Statement":[]}', { kind: 'managed' }).error?.message // 'Syntax errors in policy.'
 */
export function validatePolicy(input: string | PolicyDocument, options: ParsePolicyOptions): ValidationResult {
  try {
    const p = parsePolicy(input, options);
    return { valid: true, error: null, warnings: p.warnings, size: p.size, kind: options.kind };
  } catch (err) {
    if (err instanceof PolicyError) {
      const error: NonNullable<ValidationResult['error']> = { code: err.code, message: err.message };
      if (err instanceof MalformedPolicyDocumentError && err.detail !== null) error.detail = err.detail;
      if (err instanceof MalformedPolicyDocumentError && err.duplicateKeys.length > 0) error.duplicateKeys = [...err.duplicateKeys];
      return {
        valid: false,
        error,
        warnings: [],
        size: typeof input === 'string' ? policySize(input) : null,
        kind: options.kind,
      };
    }
    throw err;
  }
}

/**
 * Guesses the kind of a document: a trust policy when it has principals and only `sts:` actions, a resource policy
 * when it has principals and resources, else a managed identity policy.
 */
export function detectPolicyKind(doc: unknown): PolicyKind {
  if (!isRecord(doc)) return 'managed';
  const st = doc.Statement;
  const statements = Array.isArray(st) ? st : [st];
  let principal = false;
  let resource = false;
  for (const s of statements) {
    if (!isRecord(s)) continue;
    if ('Principal' in s || 'NotPrincipal' in s) principal = true;
    if ('Resource' in s || 'NotResource' in s) resource = true;
  }
  if (principal) return resource ? 'resource' : 'trust';
  return 'managed';
}

/** Lint warnings: documents IAM accepts but that almost surely do not mean what was written. */
export function lintPolicy(p: ParsedPolicy): PolicyWarning[] {
  const out: PolicyWarning[] = [];
  const add = (code: string, statement: number | null, message: string) => out.push({ code, statement, message });
  if (p.version === null) {
    add('W_NO_VERSION', null, 'No Version: IAM treats the document as 2008-10-17, where policy variables are literal text; add "Version": "2012-10-17".');
  }
  p.statements.forEach((s, i) => {
    const uses2008 = p.version !== '2012-10-17';
    const allText = JSON.stringify(s);
    if (uses2008 && allText.includes('${')) {
      add('W_VARIABLES_IGNORED', i, 'Policy variables are only substituted with Version 2012-10-17; here "${…}" is matched literally.');
    }
    for (const a of list(s.Action ?? s.NotAction)) {
      if (a.includes('${')) add('W_VARIABLE_IN_ACTION', i, `Action "${a}" contains a policy variable; IAM never substitutes variables in Action.`);
    }
    if (s.Effect === 'Allow' && s.NotAction !== undefined) {
      add('W_ALLOW_NOT_ACTION', i, 'Allow with NotAction grants every action not listed, including future ones; list the actions to allow instead.');
    }
    if (s.Effect === 'Allow' && s.NotResource !== undefined) {
      add('W_ALLOW_NOT_RESOURCE', i, 'Allow with NotResource grants every resource not listed; list the resources to allow instead.');
    }
    if (s.Effect === 'Allow' && s.NotPrincipal !== undefined) {
      add('W_ALLOW_NOT_PRINCIPAL', i, 'Allow with NotPrincipal grants every principal not listed (AWS recommends NotPrincipal only with Deny).');
    }
    for (const r of list(s.Resource)) {
      if (isS3BucketArn(r) && list(s.Action).some((a) => /^s3:(Get|Put|Delete)Object/i.test(a))) {
        add('W_S3_OBJECT_ACTION_ON_BUCKET', i, `Resource "${r}" is a bucket but the object actions need "${r}/*".`);
      }
    }
    for (const [op, block] of Object.entries(s.Condition ?? {})) {
      const o = parseOperator(op)!;
      for (const [key, raw] of Object.entries(block)) {
        const values = (Array.isArray(raw) ? raw : [raw]).map(String);
        if (Array.isArray(raw) && raw.length === 0) {
          add('W_EMPTY_CONDITION_VALUES', i, `${op} on "${key}" lists no values: the condition can never be true as intended.`);
        }
        if ((o.baseName === 'StringEquals' || o.baseName === 'StringNotEquals') && values.some(hasWildcard)) {
          add('W_WILDCARD_IN_STRING_EQUALS', i, `${op} on "${key}" compares "*" and "?" literally; use StringLike for wildcards.`);
        }
        if (o.set === 2 && s.Effect === 'Allow') {
          add('W_FORALLVALUES_ALLOW', i, `${op} on "${key}" in an Allow is true when the key is missing or empty; add a Null check ("${key}": "false").`);
        }
        if (o.set !== 0 && SINGLE_VALUED.has(key.toLowerCase())) {
          add('W_SET_OPERATOR_SINGLE_VALUED', i, `"${key}" is single-valued; ${op.split(':')[0]} is meant for multi-valued keys. Use ${o.name.split(':')[1]}.`);
        }
        if (o.family === 'bool' && values.some((v) => v.toLowerCase() !== 'true' && v.toLowerCase() !== 'false')) {
          add('W_BOOL_VALUE', i, `Bool on "${key}" expects "true" or "false".`);
        }
        if (o.family === 'numeric' && values.some((v) => Number.isNaN(parseNumber(v)))) {
          add('W_NUMERIC_VALUE', i, `${op} on "${key}" has a value that is not a number; it never matches.`);
        }
        if (o.family === 'ip' && values.some((v) => parseIpNetwork(v) === null)) {
          add('W_IP_VALUE', i, `${op} on "${key}" has a value that is not an IP address or CIDR block; it never matches.`);
        }
        if (o.family === 'null' && values.some((v) => v.toLowerCase() !== 'true' && v.toLowerCase() !== 'false')) {
          add('W_NULL_VALUE', i, `Null on "${key}" expects "true" (key absent) or "false" (key present).`);
        }
        if (/^https?:\/\//i.test(key)) {
          add('W_KEY_WITH_SCHEME', i, `Condition key "${key}" starts with a URL scheme; IAM keys use the issuer without "https://".`);
        }
        if (/^arn:/i.test(key)) {
          add('W_KEY_IS_ARN', i, `Condition key "${key}" is an ARN; web-identity keys are "<issuer host/path>:sub", not the provider ARN.`);
        }
      }
    }
  });
  return out;
}
