/**
 * The errors STS answers with, as plain values (wire code, HTTP status, fault, message), built in one place from
 * the texts of spec sections 1.3, 2.3, 2.9 and 3.1. The pure STS modules return them; the protocol layer renders
 * them as AWS's `ErrorResponse`, and `irsa policy explain-trust` prints them.
 * @module
 */

/** STS's wire codes; note AWS's own suffix asymmetry (`ExpiredTokenException` keeps it, the others do not). */
export const STS_FAULT_CODES = [
  'ValidationError',
  'InvalidIdentityToken',
  'ExpiredTokenException',
  'IDPCommunicationError',
  'AccessDenied',
  'MalformedPolicyDocument',
  'PackedPolicyTooLarge',
] as const;
export type StsFaultCode = (typeof STS_FAULT_CODES)[number];

/** One error exactly as STS puts it on the wire. */
export interface StsFault {
  code: StsFaultCode;
  httpStatus: number;
  fault: 'Sender' | 'Receiver';
  message: string;
}

const STATUS: Readonly<Record<StsFaultCode, number>> = {
  ValidationError: 400,
  InvalidIdentityToken: 400,
  ExpiredTokenException: 400,
  IDPCommunicationError: 400,
  AccessDenied: 403,
  MalformedPolicyDocument: 400,
  PackedPolicyTooLarge: 400,
};

/** Builds a fault with the status AWS gives the code. */
export function stsFault(code: StsFaultCode, message: string): StsFault {
  const httpStatus = STATUS[code];
  return { code, httpStatus, fault: httpStatus >= 500 ? 'Receiver' : 'Sender', message };
}

/** AWS's message texts (verbatim where spec 2.9 marks them verified; ours where AWS's text is unknown). */
export const STS_MESSAGES = {
  /** [I] real text unconfirmed. */
  notAJwt: 'The ID Token provided is not a valid JWT.',
  noProvider: (iss: string) => `No OpenIDConnect provider found in your account for ${iss}`,
  missingClaim: (claim: string) => `Missing a required claim: ${claim}`,
  audience: 'Incorrect token audience',
  /** AWS's text has no space before the second number. */
  expired: (now: number, exp: number) => `Token expired: current date/time ${now} must be before the expiration date/time${exp}`,
  tooOld: (ageSeconds: number) => `Token too old: ${ageSeconds}`,
  /** [I] ours: AWS's text for a future `nbf` is unknown. */
  notYetValid: (now: number, nbf: number) => `Token not yet valid: current date/time ${now} must be after the not-before date/time ${nbf}`,
  /** [I] ours: AWS's text for a future `iat` is unknown. */
  issuedInFuture: (now: number, iat: number) => `Token issued in the future: current date/time ${now} must be after the issued-at date/time ${iat}`,
  /** Two spaces after the comma, verbatim. */
  noKey: "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements",
  thumbprint: "OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint",
  /** [I] ours: AWS's text for an unreachable identity provider is unknown. */
  idpUnreachable: (host: string) => `Couldn't connect to the identity provider at ${host}; try again later`,
  /** [I] real text unconfirmed. */
  signature: 'Signature could not be verified.',
  notAuthorizedWebIdentity: 'Not authorized to perform sts:AssumeRoleWithWebIdentity',
  notAuthorizedAssumeRole: (caller: string, role: string) => `User: ${caller} is not authorized to perform: sts:AssumeRole on resource: ${role}`,
  durationOverRoleMax: 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
  durationOverChainingLimit: 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
  invalidArn: (arn: string) => `${arn} is invalid`,
  packedPolicy: (percent: number) => `Packed policy consumes ${percent}% of allotted space, please use smaller policy.`,
} as const;

/** One constraint failure of a parameter, worded as AWS's validation layer words it (spec 1.3). */
export interface ParameterViolation {
  /** lowerCamelCase member name, e.g. `roleSessionName`. */
  member: string;
  /** The value, or `null` when absent; `undefined` for sensitive members whose value AWS does not echo. */
  value: string | null | undefined;
  constraint: string;
}

/**
 * `1 validation error detected: Value 'x' at 'member' failed to satisfy constraint: …`, several joined with `; `.
 * @example
 * validationFault([{ member: 'roleArn', value: null, constraint: 'Member must not be null' }]).message
 * // "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null"
 */
export function validationFault(violations: readonly ParameterViolation[]): StsFault {
  const parts = violations.map((v) => {
    const shown = v.value === undefined ? 'Value' : v.value === null ? 'Value null' : `Value '${v.value}'`;
    return `${shown} at '${v.member}' failed to satisfy constraint: ${v.constraint}`;
  });
  const n = violations.length;
  return stsFault('ValidationError', `${n} validation error${n === 1 ? '' : 's'} detected: ${parts.join('; ')}`);
}
