/**
 * The errors STS answers with (spec 1.3, 2.3, 2.9, 3.1), built in one place: AWS's message texts and one factory per
 * wire code. The pure STS modules return these as values (with an explanation beside them); the service throws
 * them for the protocol layer to render, and `irsa policy explain-trust` prints them.
 * @module
 */
import { AwsError, type WireError } from '../errors.js';
import { MalformedPolicyDocumentError } from '../../policy/index.js';

/** An error exactly as STS puts it on the wire (an {@link AwsError}, or the policy area's MalformedPolicyDocument). */
export type StsFault = WireError;

/** AWS's message texts (verbatim where spec 2.9 marks them verified; ours, marked [I], where AWS's is unknown). */
export const STS_MESSAGES = {
  /** [I] real text unconfirmed. */
  notAJwt: 'The ID Token provided is not a valid JWT.',
  noProvider: (iss: string) => `No OpenIDConnect provider found in your account for ${iss}`,
  missingClaim: (claim: string) => `Missing a required claim: ${claim}`,
  audience: 'Incorrect token audience',
  /** AWS's text has no space before the second number. */
  expired: (now: number, exp: number) => `Token expired: current date/time ${now} must be before the expiration date/time${exp}`,
  tooOld: (ageSeconds: number) => `Token too old: ${ageSeconds}`,
  /** [I] AWS's text for a future `nbf` is unknown. */
  notYetValid: (now: number, nbf: number) => `Token not yet valid: current date/time ${now} must be after the not-before date/time ${nbf}`,
  /** [I] AWS's text for a future `iat` is unknown. */
  issuedInFuture: (now: number, iat: number) => `Token issued in the future: current date/time ${now} must be after the issued-at date/time ${iat}`,
  /** Two spaces after the comma, verbatim. */
  noKey: "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements",
  thumbprint: "OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint",
  /** [I] AWS's text for an unreachable identity provider is unknown. */
  idpUnreachable: (host: string) => `Couldn't connect to the identity provider at ${host}; try again later`,
  /** [I] real text unconfirmed. */
  signature: 'Signature could not be verified.',
  notAuthorizedWebIdentity: 'Not authorized to perform sts:AssumeRoleWithWebIdentity',
  notAuthorizedAssumeRole: (caller: string, role: string) => `User: ${caller} is not authorized to perform: sts:AssumeRole on resource: ${role}`,
  durationOverRoleMax: 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
  durationOverChainingLimit: 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
  invalidArn: (arn: string) => `${arn} is invalid`,
  packedPolicy: (percent: number) => `Packed policy consumes ${percent}% of allotted space, please use smaller policy.`,
  unknownPolicyArn: (arn: string) => `Policy ${arn} does not exist or is not attachable.`,
} as const;

/** `InvalidIdentityToken` (400): the token or its issuer's keys are not acceptable. */
export function invalidIdentityToken(message: string): AwsError {
  return new AwsError('InvalidIdentityToken', message, 400);
}

/** `ExpiredTokenException` (400): the token's `exp` has passed, or it is too old. */
export function expiredTokenException(message: string): AwsError {
  return new AwsError('ExpiredTokenException', message, 400);
}

/** `IDPCommunicationError` (400): the issuer's discovery document or JWKS could not be fetched. */
export function idpCommunicationError(message: string): AwsError {
  return new AwsError('IDPCommunicationError', message, 400);
}

/** `AccessDenied` (403). */
export function accessDenied(message: string): AwsError {
  return new AwsError('AccessDenied', message, 403);
}

/** `ValidationError` (400) with a message of its own (RoleArn syntax, durations). */
export function validationError(message: string): AwsError {
  return new AwsError('ValidationError', message, 400);
}

/** `PackedPolicyTooLarge` (400). */
export function packedPolicyTooLarge(percent: number): AwsError {
  return new AwsError('PackedPolicyTooLarge', STS_MESSAGES.packedPolicy(percent), 400);
}

/** `MalformedPolicyDocument` (400), the policy area's error. */
export function malformedPolicyDocument(message: string): MalformedPolicyDocumentError {
  return new MalformedPolicyDocumentError(message);
}
