/**
 * Authorization of a signed call with src/policy's evaluator (spec 6.6): the policies in scope for the caller (an
 * IAM user's attached policies; a role session's role policies, its permissions boundary and its session
 * policies), the request context of spec 6.5, AWS's AccessDenied text (spec 6.8), and the explanation recorded in
 * the decision log under the request id.
 * @module
 */
import {
  accessDeniedMessage,
  evaluatePolicies,
  getManagedPolicy,
  renderEvaluationText,
  type CompiledPolicy,
  type ContextKeyValue,
  type EvaluationResult,
  type PolicyCache,
  type PolicySet,
  type RequestContext,
} from '../policy/index.js';
import { awsTimestamp } from './protocol/xml.js';
import type { Principal } from './credentials.js';
import { summaryLine, type DecisionLog, type DecisionText } from './decisions.js';
import type { IamStore } from './iam/store.js';
import type { SessionStore } from './sessions.js';

/** What is being asked. */
export interface AuthorizationRequest {
  /** `service:Action`. */
  action: string;
  /** The resource ARN (`*` for actions without one). */
  resource: string;
  /** Service-specific condition keys (`s3:prefix`, `iam:PolicyARN`, `aws:RequestTag/k`…). */
  keys?: Readonly<Record<string, ContextKeyValue>>;
  /** Resource-based policies of the target (a bucket policy), if any. */
  resourcePolicies?: readonly CompiledPolicy[];
}

/** Facts about the HTTP request that become global condition keys. */
export interface RequestFacts {
  requestId: string;
  service: string;
  sourceIp: string;
  secure: boolean;
  userAgent: string;
  region: string;
  now: Date;
}

/** The outcome. */
export interface AuthorizationDecision {
  allowed: boolean;
  result: EvaluationResult;
  /** AWS's AccessDenied message for the query services (6.8); S3 answers `Access Denied`. */
  message: string;
  /** One line for `x-irsa-explain`. */
  summary: string;
}

/** The policies in scope for a principal and its principal-dependent context keys. */
export interface PrincipalScope {
  set: PolicySet;
  keys: Record<string, ContextKeyValue>;
}

/** A policy document with the name it is shown under. */
interface NamedDocument {
  name: string;
  text: string;
}

/** Builds policy sets and request contexts, evaluates, records. One per plane. */
export class Authorizer {
  constructor(
    private readonly iam: IamStore,
    private readonly sessions: SessionStore,
    private readonly decisions: DecisionLog,
    private readonly cache: PolicyCache,
  ) {}

  private lastSecond = -1;
  private lastTimestamp = '';

  /** `aws:CurrentTime`, formatted once per second. */
  private timestamp(now: Date): string {
    const second = Math.floor(now.getTime() / 1000);
    if (second !== this.lastSecond) {
      this.lastSecond = second;
      this.lastTimestamp = awsTimestamp(now);
    }
    return this.lastTimestamp;
  }

  /** AWS managed policy documents by ARN (null: not one), bounded: the shipped data never changes while we run. */
  private readonly awsManaged = new Map<string, string | null>();

  /** An AWS managed policy's document; a lookup scans the multi-megabyte index, so each ARN is looked up once. */
  private awsManagedDocument(arn: string): string | undefined {
    let text = this.awsManaged.get(arn);
    if (text === undefined) {
      const aws = getManagedPolicy(arn);
      text = aws !== undefined && aws.arn === arn ? JSON.stringify(aws.document) : null;
      if (this.awsManaged.size >= 1000) this.awsManaged.clear();
      this.awsManaged.set(arn, text);
    }
    return text ?? undefined;
  }

  /** The document of a managed policy ARN (AWS managed, or the default version of a customer one). */
  managedPolicyDocument(arn: string): string | undefined {
    const aws = this.awsManagedDocument(arn);
    if (aws !== undefined) return aws;
    const p = this.iam.getPolicy(arn);
    if (p === undefined) return undefined;
    return this.iam.getPolicyVersion(arn, p.defaultVersionId)?.document;
  }

  private compile(doc: NamedDocument, kind: 'inline' | 'managed' | 'boundary' | 'session'): CompiledPolicy {
    return this.cache.compile(doc.text, { kind, name: doc.name, skipSizeCheck: true, ...(kind === 'session' ? { role: 'session' as const } : {}) });
  }

  private managed(arns: readonly string[], kind: 'managed' | 'session'): CompiledPolicy[] {
    const out: CompiledPolicy[] = [];
    for (const arn of arns) {
      const text = this.managedPolicyDocument(arn);
      if (text !== undefined) out.push(this.compile({ name: arn, text }, kind));
    }
    return out;
  }

  /** Scopes by principal, valid while IAM's generation is unchanged (sessions never change once issued). */
  private readonly scopes = new Map<string, PrincipalScope>();
  private scopesGeneration = -1;

  /**
   * The policies in scope for a principal, and its principal-dependent context keys: compiled once per principal and
   * IAM state, then shared (treat as read-only).
   */
  scope(principal: Principal): PrincipalScope {
    if (this.scopesGeneration !== this.iam.generation) {
      this.scopes.clear();
      this.evaluations.clear();
      this.lastScope = null;
      this.lastEvaluation = null;
      this.scopesGeneration = this.iam.generation;
    }
    // the credential lookup hands a busy caller the same principal object each time: its scope without a key string
    if (this.lastScope !== null && this.lastScope.principal === principal) return this.lastScope.scope;
    const id = scopeId(principal);
    let found = this.scopes.get(id);
    if (found === undefined) {
      found = this.buildScope(principal);
      if (this.scopes.size >= 10000) this.scopes.clear();
      this.scopes.set(id, found);
    }
    this.lastScope = { principal, scope: found };
    return found;
  }

  /** The last principal's scope (a principal object is never changed once made). */
  private lastScope: { principal: Principal; scope: PrincipalScope } | null = null;

  private buildScope(principal: Principal): PrincipalScope {
    const keys: Record<string, ContextKeyValue> = {
      'aws:PrincipalArn': principal.arn,
      'aws:PrincipalAccount': principal.accountId,
      'aws:userid': principal.userId,
    };
    if (principal.kind === 'user') {
      keys['aws:PrincipalType'] = 'User';
      keys['aws:username'] = principal.userName;
      const user = this.iam.getUser(principal.userName);
      for (const t of user?.tags ?? []) keys[`aws:PrincipalTag/${t.Key}`] = t.Value;
      return { set: { identity: this.managed(this.iam.listUserAttachedPolicies(principal.userName), 'managed') }, keys };
    }
    if (principal.kind === 'root') {
      keys['aws:PrincipalType'] = 'Account';
      return { set: { identity: [this.compile({ name: 'root', text: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}' }, 'managed')] }, keys };
    }
    keys['aws:PrincipalType'] = 'AssumedRole';
    keys['aws:PrincipalArn'] = principal.roleArn;
    const session = this.sessions.getSession(principal.accessKeyId);
    const role = this.iam.getRole(principal.roleName);
    // A deleted (or deleted and re-created) role leaves its old sessions with nothing that allows anything.
    if (role === undefined || role.roleId !== principal.roleId || session === undefined) return { set: { identity: [] }, keys };
    for (const t of role.tags) keys[`aws:PrincipalTag/${t.Key}`] = t.Value;
    for (const t of session.tags) keys[`aws:PrincipalTag/${t.key}`] = t.value;
    if (session.sourceIdentity !== null) keys['aws:SourceIdentity'] = session.sourceIdentity;
    if (session.federatedProvider !== null) keys['aws:FederatedProvider'] = session.federatedProvider;
    keys['aws:TokenIssueTime'] = awsTimestamp(session.issuedAt);
    const identity = [
      ...this.iam.listRolePolicies(role.roleName).map((p) => this.compile({ name: p.policyName, text: p.document }, 'inline')),
      ...this.managed(this.iam.listRoleAttachedPolicies(role.roleName), 'managed'),
    ];
    const boundaryText = role.permissionsBoundary === null ? undefined : this.managedPolicyDocument(role.permissionsBoundary);
    const sessionPolicies: CompiledPolicy[] = [];
    if (session.sessionPolicy !== null) sessionPolicies.push(this.compile({ name: 'session policy', text: session.sessionPolicy }, 'session'));
    sessionPolicies.push(...this.managed(session.policyArns, 'session'));
    const hasSessionPolicies = session.sessionPolicy !== null || session.policyArns.length > 0;
    return {
      set: {
        identity,
        boundary: boundaryText === undefined ? null : this.compile({ name: role.permissionsBoundary!, text: boundaryText }, 'boundary'),
        session: hasSessionPolicies ? sessionPolicies : null,
      },
      keys,
    };
  }

  /**
   * Evaluation results (without explanation) of the current second by everything they depend on: the principal's
   * scope (cleared with it when IAM changes), the request and the request facts that become condition keys. The
   * evaluation is a pure function of these, and the time keys change once a second, so repeated calls (a client
   * listing the same bucket) are evaluated once a second, and an allow's decision text is shared by them.
   */
  private readonly evaluations = new Map<string, Evaluated>();

  private evaluateOnce(principal: Principal, request: AuthorizationRequest, facts: RequestFacts, set: PolicySet, context: () => RequestContext): Evaluated {
    // resource policies are per target (a bucket's): not keyed, evaluated each time
    if (request.resourcePolicies !== undefined) return { result: evaluate(set, context(), false), text: null };
    if (this.evaluationsSecond !== this.lastSecond) {
      this.evaluations.clear();
      this.lastEvaluation = null;
      this.evaluationsSecond = this.lastSecond;
    }
    const keys = keysText(request.keys);
    // a client repeating a call is answered from the last entry, compared field by field: no key text to build and hash
    const last = this.lastEvaluation;
    if (
      last !== null &&
      last.principal === principal &&
      last.action === request.action &&
      last.resource === request.resource &&
      last.service === facts.service &&
      last.secure === facts.secure &&
      last.sourceIp === facts.sourceIp &&
      last.userAgent === facts.userAgent &&
      last.region === facts.region &&
      last.keys === keys
    ) {
      return last.found;
    }
    const key = `${scopeId(principal)}\u0000${facts.service}\u0000${request.action}\u0000${request.resource}\u0000${facts.secure}\u0000${facts.sourceIp}\u0000${facts.userAgent}\u0000${facts.region}\u0000${keys}`;
    let found = this.evaluations.get(key);
    if (found === undefined) {
      found = { result: evaluate(set, context(), false), text: null };
      if (this.evaluations.size >= 1000) this.evaluations.clear();
      this.evaluations.set(key, found);
    }
    this.lastEvaluation = { principal, service: facts.service, action: request.action, resource: request.resource, secure: facts.secure, sourceIp: facts.sourceIp, userAgent: facts.userAgent, region: facts.region, keys, found };
    return found;
  }

  /** The entry of {@link evaluations} the last call used, with what its key was made of. */
  private lastEvaluation: LastEvaluation | null = null;

  private evaluationsSecond = -1;

  /**
   * Decides whether the principal may make the request, and records the decision with its explanation.
   * @example
   * const d = authorizer.authorize(caller.principal, { action: 'iam:CreateRole', resource: roleArn }, facts);
   * if (!d.allowed) throw new AwsError('AccessDenied', d.message, 403);
   */
  authorize(principal: Principal, request: AuthorizationRequest, facts: RequestFacts): AuthorizationDecision {
    const scope = this.scope(principal);
    const set = request.resourcePolicies === undefined ? scope.set : { ...scope.set, resource: request.resourcePolicies };
    const time = this.timestamp(facts.now);
    const context = (): RequestContext => ({
      action: request.action,
      resource: request.resource,
      principal: principal.kind === 'assumed-role' ? { type: 'AWS', id: principal.arn, roleArn: principal.roleArn } : { type: 'AWS', id: principal.arn },
      keys: {
        ...scope.keys,
        'aws:CurrentTime': time,
        'aws:EpochTime': String(this.lastSecond),
        'aws:SecureTransport': facts.secure ? 'true' : 'false',
        'aws:SourceIp': facts.sourceIp,
        'aws:UserAgent': facts.userAgent,
        'aws:RequestedRegion': facts.region,
        ...request.keys,
      },
    });
    const fast = this.evaluateOnce(principal, request, facts, set, context);
    let text: DecisionText;
    let result: EvaluationResult;
    if (fast.result.decision === 'Allow') {
      // an allow names the policies and the statements that allowed; requests allowed the same way share the text
      result = fast.result;
      text = fast.text ??= decisionText(principal, request, facts.service, result, `principal ${principal.arn}\nAllow: ${request.action} on ${request.resource}\n  ${result.reasons.join('\n  ')}`);
    } else {
      // a denial is explained statement by statement
      result = evaluate(set, context(), true);
      text = decisionText(principal, request, facts.service, result, `principal ${principal.arn}\npolicies in scope: ${describeSet(set)}\n${renderEvaluationText(result, { action: request.action, resource: request.resource }).trimEnd()}`);
    }
    const allowed = result.decision === 'Allow';
    const message = allowed ? '' : accessDeniedMessage(result, { principalArn: principal.arn, action: request.action, resource: request.resource });
    const summary = explainLine(text, facts.requestId);
    this.decisions.record(facts.requestId, facts.now, text);
    return { allowed, result, message, summary };
  }
}

/** Request keys as part of a cache key: none is the common case (most calls bring no service-specific keys). */
function keysText(keys: Readonly<Record<string, ContextKeyValue>> | undefined): string {
  if (keys === undefined) return '';
  for (const _ in keys) return JSON.stringify(keys);
  return '';
}

/** Whether a text's summary is a header-safe line as it is (checked once per text, which requests share). */
const plainSummaries = new WeakMap<DecisionText, boolean>();

/**
 * The `x-irsa-explain` line of a decision: {@link oneLine} of its summary and the request id, without re-scanning a
 * summary that requests share.
 */
export function explainLine(text: DecisionText, requestId: string): string {
  let plain = plainSummaries.get(text);
  if (plain === undefined) {
    plain = !NOT_PRINTABLE.test(text.summary);
    plainSummaries.set(text, plain);
  }
  const line = summaryLine(text.summary, requestId);
  return plain && line.length <= ONE_LINE_MAX && !NOT_PRINTABLE.test(requestId) ? line : oneLine(line);
}

/** The last evaluation looked up, by the parts of its key (the principal by identity). */
interface LastEvaluation {
  principal: Principal;
  service: string;
  action: string;
  resource: string;
  secure: boolean;
  sourceIp: string;
  userAgent: string;
  region: string;
  keys: string;
  found: Evaluated;
}

/** An evaluation of the current second, and the decision text of the requests it allowed. */
interface Evaluated {
  result: EvaluationResult;
  text: DecisionText | null;
}

function decisionText(principal: Principal, request: AuthorizationRequest, service: string, result: EvaluationResult, explanation: string): DecisionText {
  const why = result.reasons[0] ?? (result.decision === 'Allow' ? 'allowed' : 'denied');
  return { service, principal: principal.arn, action: request.action, resource: request.resource, decision: result.decision, summary: `${result.decision} ${request.action} on ${request.resource}: ${why}`, explanation };
}

/** The identity a principal's scope is cached under. */
function scopeId(principal: Principal): string {
  return principal.kind === 'assumed-role' ? `session\u0000${principal.accessKeyId}` : `${principal.kind}\u0000${principal.arn}`;
}

function evaluate(set: PolicySet, context: RequestContext, explain: boolean): EvaluationResult {
  return evaluatePolicies(set, context, { explain });
}

function describeSet(set: PolicySet): string {
  const parts: string[] = [];
  const names = (ps: readonly CompiledPolicy[] | null | undefined): string => (ps ?? []).map((p) => p.name).join(', ') || '(none)';
  parts.push(`identity [${names(set.identity)}]`);
  if (set.boundary) parts.push(`boundary [${set.boundary.name}]`);
  if (set.session) parts.push(`session [${names(set.session)}]`);
  if (set.resource && set.resource.length > 0) parts.push(`resource [${names(set.resource)}]`);
  return parts.join('; ');
}

const NOT_PRINTABLE = /[^\x20-\x7e]/;
const ONE_LINE_MAX = 512;

/** A header-safe single line: printable ASCII, bounded. */
export function oneLine(text: string, max = ONE_LINE_MAX): string {
  const clean = NOT_PRINTABLE.test(text) ? text.replace(/[^\x20-\x7e]/g, '?') : text;
  return clean.length > max ? `${clean.slice(0, max - 3)}...` : clean;
}
