/**
 * Who signs requests: the principals the plane knows (the account root, IAM users, assumed-role sessions) and the
 * credentials that stand for them. SigV4 verification looks credentials up through {@link CredentialLookup};
 * IAM (long-term `AKIA` keys) and the session store (temporary `ASIA` keys) answer it.
 * @module
 */
import { hash } from 'node:crypto';

/** An IAM user's identity. */
export interface UserPrincipal {
  kind: 'user';
  accountId: string;
  /** `arn:aws:iam::ACCOUNT:user/PATH/NAME`. */
  arn: string;
  /** `AIDA…`. */
  userId: string;
  userName: string;
  path: string;
}

/** A role session's identity (credentials from AssumeRole*). */
export interface AssumedRolePrincipal {
  kind: 'assumed-role';
  accountId: string;
  /** `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION` (no role path). */
  arn: string;
  /** `ROLEID:SESSION`. */
  userId: string;
  roleArn: string;
  roleName: string;
  roleId: string;
  sessionName: string;
  /** The session's access key id (`ASIA…`): its policies, tags and source identity live in the session store. */
  accessKeyId: string;
}

/** The account's root user (not created by the plane; kept for completeness of shapes). */
export interface RootPrincipal {
  kind: 'root';
  accountId: string;
  arn: string;
  userId: string;
}

/** Any principal that signs a request. */
export type Principal = UserPrincipal | AssumedRolePrincipal | RootPrincipal;

/** A credential: the secret the signature is checked with, and who it stands for. */
export interface Credential {
  accessKeyId: string;
  secretAccessKey: string;
  /**
   * For temporary credentials, the SHA-256 of the session token the request must carry (`X-Amz-Security-Token`):
   * the store keeps no token in clear.
   */
  sessionTokenSha256: Buffer | null;
  /** When temporary credentials stop working. */
  expiration: Date | null;
  /** False for a deactivated long-term key. */
  active: boolean;
  principal: Principal;
}

/** Finds the credential of an access key id (AKIA… or ASIA…). */
export interface CredentialLookup {
  findCredential(accessKeyId: string): Credential | undefined;
}

/**
 * What the session store keeps of a session token: its SHA-256. SigV4 verification compares the digest of the token a
 * request carries with it.
 * @example
 * sessionTokenDigest('IQoJ…').length // 32
 */
export function sessionTokenDigest(token: string): Buffer {
  return hash('sha256', token, 'buffer');
}
