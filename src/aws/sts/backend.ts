/**
 * What the STS operations need from the rest of the plane, as small interfaces: roles by ARN with their trust
 * policy and MaxSessionDuration, OIDC providers by issuer, managed policies by ARN, somewhere to keep the sessions
 * they create, the clock and randomness. The IAM store implements them; tests pass in-memory fakes.
 * @module
 */
import type { CompiledPolicy, PolicySet, RequestPrincipal } from '../../policy/index.js';
import type { RandomBytes, SessionCredentials } from './credentials.js';
import type { IssuerKeySource } from './jwks-cache.js';
import type { WebIdentityProviderLookup } from './web-identity-token.js';

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

/** A session STS created, to store (spec 2.3 step 14): what later SigV4 and authorization need. */
export interface StsSessionRecord {
  credentials: SessionCredentials;
  accountId: string;
  roleArn: string;
  roleId: string;
  roleName: string;
  sessionName: string;
  /** `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION` */
  assumedRoleArn: string;
  /** `ROLEID:SESSION` */
  assumedRoleId: string;
  issuedAt: Date;
  /** Session policies (inline `Policy` first, then each `PolicyArns` document), as documents. */
  sessionPolicies: Array<{ name: string; document: string }>;
  /** Session tags (role tags are not copied; authorization merges them). */
  sessionTags: Readonly<Record<string, string>>;
  transitiveTagKeys: readonly string[];
  sourceIdentity: string | undefined;
  /** Set for web-identity sessions. */
  webIdentity: { providerArn: string; audience: string; subject: string; claims: Record<string, unknown> } | undefined;
  /** True when the caller was itself a role session (role chaining). */
  chained: boolean;
}

/** The store and the environment STS operations run against. */
export interface StsBackend extends WebIdentityProviderLookup {
  /** The role an ARN names (account and name; a path in the ARN must match the role's), or undefined. */
  getRole(roleArn: string): StsRole | undefined;
  /** A managed policy's default version document, AWS managed or customer managed, or undefined. */
  getManagedPolicyDocument(policyArn: string): string | undefined;
  /** Keeps a new session; called once per successful assume, before the answer is sent. */
  saveSession(session: StsSessionRecord): void;
}

/** Options shared by the STS operations. */
export interface StsEnvironment {
  backend: StsBackend;
  /** Issuer keys (the JWKS cache). */
  keys: IssuerKeySource;
  now: () => Date;
  random?: RandomBytes;
  /** Compiles trust and session policies once per document (a PolicyCache). */
  compile: (document: string, kind: 'trust' | 'session', name: string) => CompiledPolicy;
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
  /** Role sessions: the session (for role chaining and transitive tags). */
  session?: StsSessionRecord;
}
