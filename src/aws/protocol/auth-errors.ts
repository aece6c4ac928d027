/**
 * How the query services (IAM, STS) answer a failed SigV4 authentication: AWS's codes, statuses and texts of spec
 * 1.5. S3 answers the same failures with its own codes (spec 7.6), in its own module.
 * @module
 */
import { AwsError } from '../errors.js';
import { formatAmzDate, type AuthFailure } from '../sigv4/verify.js';
import { MAX_CLOCK_SKEW_MS } from './constants.js';

export const INVALID_CLIENT_TOKEN_MESSAGE = 'The security token included in the request is invalid.';
export const SIGNATURE_MISMATCH_MESSAGE =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

/**
 * The query-protocol error for an authentication failure.
 * @example
 * queryAuthError({ reason: 'unknown-key', detail: '' }).code // 'InvalidClientTokenId'
 */
export function queryAuthError(failure: AuthFailure): AwsError {
  switch (failure.reason) {
    case 'missing':
      return new AwsError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403);
    case 'incomplete':
    case 'unsupported-algorithm':
    case 'missing-content-sha256':
      return new AwsError('IncompleteSignature', failure.detail, 400);
    case 'unknown-key':
    case 'inactive-key':
    case 'token-missing':
    case 'token-invalid':
      return new AwsError('InvalidClientTokenId', INVALID_CLIENT_TOKEN_MESSAGE, 403);
    case 'token-expired':
      return new AwsError('ExpiredToken', 'The security token included in the request is expired', 403);
    case 'skewed': {
      const req = formatAmzDate(failure.requestTime!);
      const now = failure.serverTime!;
      if (failure.requestTime!.getTime() < now.getTime()) {
        const earliest = formatAmzDate(new Date(now.getTime() - MAX_CLOCK_SKEW_MS));
        return new AwsError('SignatureDoesNotMatch', `Signature expired: ${req} is now earlier than ${earliest} (${formatAmzDate(now)} - 15 min.)`, 403);
      }
      const latest = formatAmzDate(new Date(now.getTime() + MAX_CLOCK_SKEW_MS));
      return new AwsError('SignatureDoesNotMatch', `Signature not yet current: ${req} is still later than ${latest} (${formatAmzDate(now)} + 15 min.)`, 403);
    }
    case 'presign-expired': {
      const expires = failure.signatureInput?.expires ?? 0;
      const expiredAt = formatAmzDate(new Date(failure.requestTime!.getTime() + expires * 1000));
      return new AwsError('SignatureDoesNotMatch', `Signature expired: ${expiredAt} is now earlier than ${formatAmzDate(failure.serverTime!)}`, 403);
    }
    case 'wrong-service':
      return new AwsError('SignatureDoesNotMatch', failure.detail, 403);
    case 'content-sha256-mismatch':
    case 'signature':
      return new AwsError('SignatureDoesNotMatch', failure.detail.startsWith('Date in Credential') ? failure.detail : SIGNATURE_MISMATCH_MESSAGE, 403);
  }
}
