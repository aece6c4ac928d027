/**
 * What the STS operations need from the rest of the plane, as small interfaces: roles by ARN with their trust
 * policy and MaxSessionDuration, OIDC providers by issuer, managed policies by ARN, the session store that issues
 * credentials, and the clock. The IAM store implements them; tests pass in-memory fakes.
 * @module
 */
import type { CompiledPolicy, CompilePolicyOptions, PolicySet, RequestPrincipal } from '../../policy/index.js';
import type { IssueSessionInput, SessionCredentials, SessionRecord } from '../sessions.js';
import type { IssuerKeySource } from './jwks-cache.js';
import type { WebIdentityTrustCache } from './trust-cache.js';
import type { SignatureBatch, VerifiedTokens, WebIdentityProviderLookup } from './web-identity-token.js';

/** An IAM role as STS needs it. */
export interface StsRole {
  arn: string;
  /** `AROA…` */
  roleId: string;
  roleName: string;
  path: string;
  accountId: string;
  /** The trust policy document (JSON text, URL-decoded). */
  assumeRolePolicyDocument: string;
  /** Seconds, 3600–43200. */
  maxSessionDuration: number;
  tags?: Readonly<Record<string, string>>;
}

/** The store and the environment STS operations run against. */
export interface StsBackend extends WebIdentityProviderLookup {
  /** The role an ARN names (account and name; a path in the ARN must match the role's), or undefined. */
  getRole(roleArn: string): StsRole | undefined;
  /** A managed policy's default version document, AWS managed or customer managed, or undefined. */
  getManagedPolicyDocument(policyArn: string): string | undefined;
  /** Creates and stores a session's credentials; durable when it returns (called once per successful assume). */
  issueSessionCredentials(input: IssueSessionInput): Promise<SessionCredentials>;
}

/** Options shared by the STS operations. */
export interface StsEnvironment {
  backend: StsBackend;
  /** Issuer keys (the JWKS cache). */
  keys: IssuerKeySource;
  now: () => Date;
  /** Compiles trust and session policies once per document (`PolicyCache.compile`). */
  compile: (document: string, options: CompilePolicyOptions) => CompiledPolicy;
  /** Memoizes trust-policy allows of `AssumeRoleWithWebIdentity` within the second; absent → evaluated every time. */
  trustCache?: WebIdentityTrustCache;
  /** Tokens whose signature already verified with a key still current; absent → every signature is checked. */
  verifiedTokens?: VerifiedTokens;
  /** Verifies token signatures in batches, one per turn of the event loop; absent → each at once. */
  signatureBatch?: SignatureBatch;
  /** Token clock tolerance in seconds (default 300). */
  clockToleranceSeconds?: number;
  /** Optional `Token too old` limit in seconds. */
  maxTokenAgeSeconds?: number;
}

/** The authenticated caller of a signed STS call (from SigV4 and the credential store). */
export interface StsCaller {
  /** `arn:aws:iam::ACCOUNT:user/NAME`, `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION` or `arn:aws:iam::ACCOUNT:root`. */
  arn: string;
  accountId: string;
  /** `AIDA…` for users, `AROA…:session` for role sessions, the account id for root. */
  userId: string;
  /** As trust and resource policies see the caller. */
  principal: RequestPrincipal;
  /** The caller's identity policies, boundary and session policies. */
  policies: PolicySet;
  /** Role sessions: the session (for role chaining, transitive tags and source identity). */
  session?: SessionRecord;
}
