/**
 * Types of the policy engine: documents as written, request contexts, evaluation results.
 * @module
 */

/** A string, or a list of strings, as IAM accepts in Action, Resource and Principal entries. */
export type StringOrList = string | string[];

/** A policy document as JSON (what `JSON.parse` returns for a valid one). */
export interface PolicyDocument {
  Version?: string;
  Id?: string;
  Statement: PolicyStatement | PolicyStatement[];
}

/** One statement as written. */
export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: '*' | Partial<Record<PrincipalType, StringOrList>>;
  NotPrincipal?: '*' | Partial<Record<PrincipalType, StringOrList>>;
  Action?: StringOrList;
  NotAction?: StringOrList;
  Resource?: StringOrList;
  NotResource?: StringOrList;
  Condition?: Record<string, Record<string, ConditionValue | ConditionValue[]>>;
}

/** A scalar a condition may hold (IAM normalises them to strings). */
export type ConditionValue = string | number | boolean;

/** The principal families of the Principal element. */
export type PrincipalType = 'AWS' | 'Federated' | 'Service' | 'CanonicalUser';

/**
 * What the document is attached as: this decides which elements are required or forbidden and the size quota
 * (trust 2048, inline 10240, managed 6144, session 2048 characters, whitespace not counted).
 */
export type PolicyKind = 'identity' | 'inline' | 'managed' | 'boundary' | 'session' | 'trust' | 'resource';

/** A value of a request-context key: a scalar is single-valued, an array is multi-valued (possibly empty). */
export type ContextKeyValue = string | number | boolean | ReadonlyArray<string | number | boolean>;

/** Who makes the request, as resource-based and trust policies see it. */
export interface RequestPrincipal {
  type: PrincipalType;
  /** ARN (AWS, Federated provider), service name (Service), or canonical user id. */
  id: string;
  /** For AWS principals: the account (derived from the ARN when absent). */
  account?: string;
  /** For assumed-role sessions: the role's ARN, so a statement naming the role matches its sessions. */
  roleArn?: string;
}

/**
 * The request being authorized. Key names are case-insensitive.
 *
 * Cross-account requests: when the principal is an AWS principal of one account and the resource belongs to another
 * (`resourceAccount`, else the account in the `resource` ARN), AWS allows the request only when BOTH sides allow it:
 * an identity-based policy of the principal (within its boundary and session policies) and a resource-based policy
 * (or trust policy) of the resource. Within one account either side is enough.
 */
export interface RequestContext {
  /** `service:Action`, e.g. `s3:GetObject`. */
  action: string;
  /** Resource ARN; absent means `*`. */
  resource?: string;
  /**
   * The 12-digit account that owns the resource. Give it when the ARN holds none (S3 buckets and objects); when
   * absent it is the ARN's account, and when neither is known the request is evaluated as a same-account one.
   */
  resourceAccount?: string;
  principal?: RequestPrincipal;
  /** Condition keys, e.g. `{"aws:SourceIp": "10.0.0.1", "aws:TagKeys": ["a", "b"]}`. */
  keys?: Readonly<Record<string, ContextKeyValue>>;
}

/** The final answer, with AWS's three outcomes. */
export type Decision = 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';

/** Which policy family a statement came from. */
export type PolicyRole = 'identity' | 'boundary' | 'session' | 'resource';

/** A statement, named so a person finds it: policy name, Sid (if any) and 0-based index. */
export interface StatementRef {
  policy: string;
  role: PolicyRole;
  sid: string | null;
  index: number;
  effect: 'Allow' | 'Deny';
}

/** Why a statement did not apply: the first failing element. */
export type NotAppliedReason =
  | { kind: 'action'; message: string }
  | { kind: 'resource'; message: string }
  | { kind: 'principal'; message: string }
  | {
      kind: 'condition';
      operator: string;
      key: string;
      expected: string[];
      actual: string[] | null;
      message: string;
    }
  | { kind: 'key-missing'; operator: string; key: string; expected: string[]; message: string };

/** One statement's outcome in a trace. */
export interface StatementTrace {
  statement: StatementRef;
  applied: boolean;
  reason: NotAppliedReason | null;
}

/** The result of {@link evaluatePolicies}. */
export interface EvaluationResult {
  decision: Decision;
  /** Statements that matched the request (their effects decided, or would have). */
  matchedStatements: StatementRef[];
  /** One sentence per reason for a deny (AWS 6.8 wording), or why it was allowed. */
  reasons: string[];
  /** Every statement's outcome, only when `explain: true`. */
  trace: StatementTrace[] | null;
  /** Set when the principal's account differs from the resource's: which side allowed (both must). */
  crossAccount: CrossAccountCheck | null;
}

/** The two sides of a cross-account request: AWS allows it only when both allow. */
export interface CrossAccountCheck {
  principalAccount: string;
  resourceAccount: string;
  /** An identity-based policy allows (and the boundary and session policies, if any, allow too). */
  identityAllows: boolean;
  /** A resource-based (or trust) policy of the resource allows. */
  resourceAllows: boolean;
}
