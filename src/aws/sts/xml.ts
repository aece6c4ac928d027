/**
 * STS's XML answers, byte-compatible with AWS (spec 1.2, 1.3, 2.8): the `…Response` envelope with the result's
 * members in the model's order, and the `ErrorResponse` envelope for faults. Templates with escaping, built once.
 * @module
 */
import { awsTimestamp } from './credentials.js';
import type { StsFault } from './faults.js';
import type { AssumeRoleWithWebIdentityOutput } from './assume-role-with-web-identity.js';
import type { AssumeRoleOutput, GetCallerIdentityOutput } from './assume-role.js';

/** STS's XML namespace and API version. */
export const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';
export const STS_API_VERSION = '2011-06-15';

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Escapes text for an XML element or attribute. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function envelope(operation: string, result: string, requestId: string): string {
  return (
    `<${operation}Response xmlns="${STS_NAMESPACE}">\n` +
    `  <${operation}Result>\n${result}  </${operation}Result>\n` +
    `  <ResponseMetadata>\n    <RequestId>${escapeXml(requestId)}</RequestId>\n  </ResponseMetadata>\n` +
    `</${operation}Response>\n`
  );
}

function credentialsXml(c: AssumeRoleOutput['credentials']): string {
  return (
    '    <Credentials>\n' +
    `      <AccessKeyId>${c.accessKeyId}</AccessKeyId>\n` +
    `      <SecretAccessKey>${escapeXml(c.secretAccessKey)}</SecretAccessKey>\n` +
    `      <SessionToken>${escapeXml(c.sessionToken)}</SessionToken>\n` +
    `      <Expiration>${awsTimestamp(c.expiration)}</Expiration>\n` +
    '    </Credentials>\n'
  );
}

function assumedRoleUserXml(u: { assumedRoleId: string; arn: string }): string {
  return `    <AssumedRoleUser>\n      <AssumedRoleId>${escapeXml(u.assumedRoleId)}</AssumedRoleId>\n      <Arn>${escapeXml(u.arn)}</Arn>\n    </AssumedRoleUser>\n`;
}

function optional(name: string, value: string | number | undefined): string {
  return value === undefined ? '' : `    <${name}>${escapeXml(String(value))}</${name}>\n`;
}

/**
 * The `AssumeRoleWithWebIdentityResponse` document.
 * @example
 * res.end(renderAssumeRoleWithWebIdentity(r.output, requestId));
 */
export function renderAssumeRoleWithWebIdentity(o: AssumeRoleWithWebIdentityOutput, requestId: string): string {
  const result =
    credentialsXml(o.credentials) +
    `    <SubjectFromWebIdentityToken>${escapeXml(o.subjectFromWebIdentityToken)}</SubjectFromWebIdentityToken>\n` +
    assumedRoleUserXml(o.assumedRoleUser) +
    optional('PackedPolicySize', o.packedPolicySize) +
    `    <Provider>${escapeXml(o.provider)}</Provider>\n` +
    `    <Audience>${escapeXml(o.audience)}</Audience>\n` +
    optional('SourceIdentity', o.sourceIdentity);
  return envelope('AssumeRoleWithWebIdentity', result, requestId);
}

/** The `AssumeRoleResponse` document. */
export function renderAssumeRole(o: AssumeRoleOutput, requestId: string): string {
  const result = credentialsXml(o.credentials) + assumedRoleUserXml(o.assumedRoleUser) + optional('PackedPolicySize', o.packedPolicySize) + optional('SourceIdentity', o.sourceIdentity);
  return envelope('AssumeRole', result, requestId);
}

/** The `GetCallerIdentityResponse` document. */
export function renderGetCallerIdentity(o: GetCallerIdentityOutput, requestId: string): string {
  const result = `    <UserId>${escapeXml(o.userId)}</UserId>\n    <Account>${o.account}</Account>\n    <Arn>${escapeXml(o.arn)}</Arn>\n`;
  return envelope('GetCallerIdentity', result, requestId);
}

/** `GetCallerIdentity` as JSON for `Accept: application/json` (spec 1.4). */
export function renderGetCallerIdentityJson(o: GetCallerIdentityOutput, requestId: string): string {
  return JSON.stringify({ GetCallerIdentityResponse: { GetCallerIdentityResult: { Account: o.account, Arn: o.arn, UserId: o.userId }, ResponseMetadata: { RequestId: requestId } } });
}

/**
 * STS's `ErrorResponse` for a fault (spec 1.3).
 * @example
 * res.writeHead(fault.httpStatus, { 'content-type': 'text/xml' }).end(renderStsError(fault, requestId));
 */
export function renderStsError(fault: StsFault, requestId: string): string {
  return (
    `<ErrorResponse xmlns="${STS_NAMESPACE}">\n` +
    `  <Error>\n    <Type>${fault.fault}</Type>\n    <Code>${fault.code}</Code>\n    <Message>${escapeXml(fault.message)}</Message>\n  </Error>\n` +
    `  <RequestId>${escapeXml(requestId)}</RequestId>\n` +
    `</ErrorResponse>\n`
  );
}
