/**
 * The result of one doctor check: a stable id, ok / warn / fail / skip, one line saying what was found, and for a
 * failure (or warning) one line saying how to fix it.
 * @module
 */

/** `ok` passed; `warn` works but is fragile (never changes the exit code); `fail` breaks the chain; `skip` could not run. */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

/** AWS's answer when STS refused a call: its wire code and message, verbatim. */
export interface AwsErrorDetail {
  code: string;
  message: string;
  httpStatus?: number;
}

export interface CheckResult {
  /** Stable id (`env.role-arn`, `token.audience`, …); never reused for another meaning. */
  id: string;
  status: CheckStatus;
  /** One line: what was found. */
  message: string;
  /** One line: what to change (fail and warn only). */
  fix?: string;
  /** STS's error, when the check is an STS call that AWS refused. */
  aws?: AwsErrorDetail;
}

/** Every check id, in the order the doctor runs them (docs/doctor.md documents each). */
export const DOCTOR_CHECK_IDS = [
  'pod.mutation',
  'env.role-arn',
  'env.token-file',
  'env.region',
  'env.sts-regional-endpoints',
  'env.session-name',
  'env.static-credentials',
  'env.profile',
  'token.file',
  'token.jwt',
  'token.kid',
  'token.issuer',
  'token.subject',
  'token.audience',
  'token.expiry',
  'issuer.discovery',
  'issuer.jwks',
  'issuer.signature',
  'role.arn',
  'sts.endpoint',
  'sts.ca-bundle',
  'sts.assume-role',
  'sts.caller-identity',
] as const;

export type DoctorCheckId = (typeof DOCTOR_CHECK_IDS)[number];

export const ok = (id: DoctorCheckId, message: string): CheckResult => ({ id, status: 'ok', message });
export const warn = (id: DoctorCheckId, message: string, fix: string): CheckResult => ({ id, status: 'warn', message, fix });
export const fail = (id: DoctorCheckId, message: string, fix: string, aws?: AwsErrorDetail): CheckResult => ({ id, status: 'fail', message, fix, ...(aws ? { aws } : {}) });
export const skip = (id: DoctorCheckId, message: string): CheckResult => ({ id, status: 'skip', message });
