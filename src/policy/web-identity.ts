/**
 * The request context STS builds for `AssumeRoleWithWebIdentity` from a token's claims, so a trust policy can be
 * evaluated (and explained) exactly as STS would: `<issuer host/path>:sub`, `:aud`, `:amr`, `:azp`, `:oaud`, …
 * @module
 */
import { decodeJwt } from 'jose';
import { issuerHostPath, parseOidcProviderArn as parseProviderArn, type OidcProviderArn } from '../lib/aws-arn.js';
import { PolicyError } from './errors.js';
import type { RequestContext, ContextKeyValue } from './types.js';

/** The action STS authorizes for a web-identity call. */
export const ASSUME_ROLE_WITH_WEB_IDENTITY = 'sts:AssumeRoleWithWebIdentity';
/** Claim holding session tags (`principal_tags`, `transitive_tag_keys`). */
export const TAGS_CLAIM = 'https://aws.amazon.com/tags';
/** Claim holding the source identity. */
export const SOURCE_IDENTITY_CLAIM = 'https://aws.amazon.com/source_identity';

/** Claims STS reads: the ones with condition keys, the registered JWT ones it checks, and the AWS session claims. */
const STANDARD_CLAIMS = new Set(['iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti', 'azp', 'amr', 'email', TAGS_CLAIM, SOURCE_IDENTITY_CLAIM]);

export { issuerHostPath, type OidcProviderArn };

/**
 * Splits an IAM OIDC provider ARN; throws when it is not one.
 * @example
 * parseOidcProviderArn('arn:aws:iam::111122223333:oidc-provider/oidc.example.com/id/ABC').hostPath // 'oidc.example.com/id/ABC'
 */
export function parseOidcProviderArn(arn: string): OidcProviderArn {
  const provider = parseProviderArn(arn);
  if (provider === undefined) {
    throw new PolicyError(
      'ERR_POLICY_INPUT',
      `providerArn "${arn}" is not an IAM OIDC provider ARN; expected arn:aws:iam::<12-digit account>:oidc-provider/<issuer host/path>`,
      { field: 'providerArn' },
    );
  }
  return provider;
}

/** Inputs of {@link buildWebIdentityContext}. */
export interface WebIdentityContextOptions {
  providerArn: string;
  /** The token's payload (decoded, not verified here: STS verifies before it evaluates). */
  claims: Record<string, unknown>;
  roleArn?: string;
  roleSessionName?: string;
  /** The provider's client ID list: picks which `aud` STS accepted when the token has several. */
  clientIds?: readonly string[];
  /** Sets `aws:CurrentTime` and `aws:EpochTime`. */
  now?: Date;
}

/** What STS will authorize: every required action against the trust policy, with this context. */
export interface WebIdentityRequest {
  /** `sts:AssumeRoleWithWebIdentity`, plus `sts:TagSession` / `sts:SetSourceIdentity` when the token asks for them. */
  requiredActions: string[];
  /** The context for the first action; the others differ only in `action`. */
  context: RequestContext;
  /** Remarks on how claims were mapped (e.g. which `aud` was chosen). */
  notes: string[];
}

function claimString(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

/** The scalar members of a list claim, as strings (objects and nulls dropped). */
function claimStrings(values: readonly unknown[]): string[] {
  const out: string[] = [];
  for (const v of values) {
    const s = claimString(v);
    if (s !== null) out.push(s);
  }
  return out;
}

/**
 * Everything {@link buildWebIdentityContext} reads from a token's claims, as one string: two tokens with the same key
 * give the same context and notes (for the same provider, client ids, role, session name and time), whatever their
 * `jti`, `iat`, `nbf`, `exp` or the values of claims that are not condition keys. Keep in step with that function.
 * @example
 * webIdentityClaimsKey({ sub: 'system:serviceaccount:ns:app', aud: ['sts.amazonaws.com'], jti: '…' })
 */
export function webIdentityClaimsKey(c: Readonly<Record<string, unknown>>): string {
  const unusable: string[] = [];
  for (const k of Object.keys(c)) if (!STANDARD_CLAIMS.has(k)) unusable.push(k);
  return JSON.stringify([c.sub, c.aud, c.azp, c.amr, c.email, c[SOURCE_IDENTITY_CLAIM], c[TAGS_CLAIM], unusable]);
}

/**
 * Builds the trust-policy request context STS evaluates for a web-identity token.
 * @example
 * const req = buildWebIdentityContext({ providerArn, claims: { sub: 'system:serviceaccount:ns:sa', aud: ['sts.amazonaws.com'] } });
 * req.context.keys['oidc.example.com/id/ABC:sub'] // 'system:serviceaccount:ns:sa'
 */
export function buildWebIdentityContext(o: WebIdentityContextOptions): WebIdentityRequest {
  const { hostPath, accountId } = parseOidcProviderArn(o.providerArn);
  const keys: Record<string, ContextKeyValue> = {};
  const notes: string[] = [];
  const required = [ASSUME_ROLE_WITH_WEB_IDENTITY];
  const c = o.claims;
  const sub = claimString(c.sub);
  if (sub !== null) keys[`${hostPath}:sub`] = sub;
  const audList = Array.isArray(c.aud) ? claimStrings(c.aud) : claimStrings([c.aud]);
  const azp = claimString(c.azp);
  if (azp !== null) {
    keys[`${hostPath}:aud`] = azp;
    keys[`${hostPath}:azp`] = azp;
    if (audList.length > 0) keys[`${hostPath}:oaud`] = audList.length === 1 ? audList[0]! : audList;
    notes.push(`token has azp: ${hostPath}:aud is the azp value "${azp}", ${hostPath}:oaud the original aud`);
  } else if (audList.length > 0) {
    let chosen = audList[0]!;
    if (o.clientIds !== undefined) {
      const accepted = audList.find((a) => o.clientIds!.includes(a));
      if (accepted !== undefined) chosen = accepted;
      else notes.push(`no aud of the token is in the provider's client IDs [${o.clientIds.join(', ')}]: STS rejects the token before evaluating the trust policy`);
    }
    keys[`${hostPath}:aud`] = chosen;
    if (audList.length > 1) notes.push(`token has ${audList.length} audiences; ${hostPath}:aud is the accepted one, "${chosen}"`);
  }
  if (c.amr !== undefined) {
    const amr = Array.isArray(c.amr) ? claimStrings(c.amr) : [claimString(c.amr) ?? ''];
    keys[`${hostPath}:amr`] = amr;
  }
  const email = claimString(c.email);
  if (email !== null) keys[`${hostPath}:email`] = email;
  if (o.roleSessionName !== undefined) keys['sts:RoleSessionName'] = o.roleSessionName;
  const sourceIdentity = claimString(c[SOURCE_IDENTITY_CLAIM]);
  if (sourceIdentity !== null) {
    keys['sts:SourceIdentity'] = sourceIdentity;
    required.push('sts:SetSourceIdentity');
  }
  const tags = c[TAGS_CLAIM];
  if (typeof tags === 'object' && tags !== null) {
    const t = tags as { principal_tags?: Record<string, unknown>; transitive_tag_keys?: unknown };
    const tagKeys: string[] = [];
    for (const [k, v] of Object.entries(t.principal_tags ?? {})) {
      const value = Array.isArray(v) ? claimString(v[0]) : claimString(v);
      if (value === null) continue;
      keys[`aws:RequestTag/${k}`] = value;
      tagKeys.push(k);
    }
    if (tagKeys.length > 0) {
      keys['aws:TagKeys'] = tagKeys;
      required.push('sts:TagSession');
    }
    if (Array.isArray(t.transitive_tag_keys)) keys['sts:TransitiveTagKeys'] = t.transitive_tag_keys.map(String);
  }
  const unusable = Object.keys(c).filter((k) => !STANDARD_CLAIMS.has(k));
  if (unusable.length > 0) {
    notes.push(`claims ${unusable.map((k) => JSON.stringify(k)).join(', ')} are not available as condition keys (STS exposes only sub, aud, amr, azp, oaud and email); constrain namespaces through sub`);
  }
  // what STS sets for an OIDC caller (spec 2.5): the provider's account, type User, userid the provider ARN
  keys['aws:PrincipalAccount'] = accountId;
  keys['aws:PrincipalType'] = 'User';
  keys['aws:userid'] = o.providerArn;
  keys['aws:FederatedProvider'] = o.providerArn;
  if (o.now !== undefined) {
    keys['aws:CurrentTime'] = o.now.toISOString().replace(/\.\d{3}Z$/, 'Z');
    keys['aws:EpochTime'] = String(Math.floor(o.now.getTime() / 1000));
  }
  const context: RequestContext = {
    action: ASSUME_ROLE_WITH_WEB_IDENTITY,
    principal: { type: 'Federated', id: o.providerArn },
    keys,
  };
  if (o.roleArn !== undefined) context.resource = o.roleArn;
  return { requiredActions: required, context, notes };
}

/**
 * Decodes a JWT's payload WITHOUT verifying its signature (for explanations only; STS verifies first).
 * @example
 * decodeJwtPayload(token).sub
 */
export function decodeJwtPayload(token: string): Record<string, unknown> {
  try {
    return decodeJwt(token.trim());
  } catch (cause) {
    throw new PolicyError('ERR_POLICY_INPUT', `token is not a JWT: ${(cause as Error).message}`, { cause });
  }
}
