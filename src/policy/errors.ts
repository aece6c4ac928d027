/**
 * Errors of the policy engine. AWS-facing ones carry AWS's own code (`MalformedPolicyDocument`, `LimitExceeded`)
 * and message, the HTTP status and fault, so the AWS plane can render them as AWS's XML unchanged.
 * @module
 */
import { IrsaError } from '../lib/errors.js';

/**
 * Every code a {@link PolicyError} can carry (the area's registry; docs/errors.md lists each). `MalformedPolicyDocument`
 * and `LimitExceeded` are AWS's wire codes, spelled as AWS does; another area that answers with them (the AWS plane)
 * imports these errors instead of defining the codes again.
 */
export const POLICY_ERROR_CODES = ['MalformedPolicyDocument', 'LimitExceeded', 'ERR_POLICY_INPUT'] as const;

/** Every code a {@link PolicyError} can carry. */
export type PolicyErrorCode = (typeof POLICY_ERROR_CODES)[number];

/** A policy document AWS would reject, or an input the engine cannot use. */
export class PolicyError extends IrsaError {
  declare readonly code: PolicyErrorCode;
  /** HTTP status AWS answers with. */
  readonly httpStatus: number;
  /** `Sender` for the caller's mistakes. */
  readonly fault: 'Sender' | 'Receiver';

  constructor(code: PolicyErrorCode, message: string, options: { cause?: unknown; httpStatus?: number; field?: string } = {}) {
    super(code, message, { cause: options.cause, exitCode: 2, ...(options.field === undefined ? {} : { field: options.field }) });
    this.httpStatus = options.httpStatus ?? (code === 'LimitExceeded' ? 409 : 400);
    this.fault = 'Sender';
  }
}

/** A key written twice in one JSON object of a policy, with its JSON path and position. */
export interface PolicyDuplicateKey {
  path: string;
  key: string;
  line: number;
  column: number;
}

/**
 * A malformed policy document, with AWS's message verbatim (e.g. `Syntax errors in policy.`) as `message` (what
 * the AWS plane puts on the wire), and our `detail` for people: where and what (line and column of a JSON syntax
 * error, the field and its allowed values, every duplicate key with its JSON path).
 */
export class MalformedPolicyDocumentError extends PolicyError {
  declare readonly code: 'MalformedPolicyDocument';
  readonly detail: string | null;
  readonly duplicateKeys: readonly PolicyDuplicateKey[];
  constructor(message: string, options: { cause?: unknown; detail?: string; duplicateKeys?: readonly PolicyDuplicateKey[] } = {}) {
    super('MalformedPolicyDocument', message, options);
    this.detail = options.detail ?? null;
    this.duplicateKeys = options.duplicateKeys ?? [];
  }
}

/** A policy document over AWS's size quota for its kind. */
export class PolicySizeLimitError extends PolicyError {
  declare readonly code: 'LimitExceeded';
  readonly size: number;
  readonly limit: number;
  constructor(message: string, size: number, limit: number) {
    super('LimitExceeded', message);
    this.size = size;
    this.limit = limit;
  }
}
