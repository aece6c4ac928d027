/**
 * What `irsa up` creates on first start: an administrator user with an access key (allowed everything through
 * AdministratorAccess) and the local issuer as an IAM OIDC provider. Both keep what exists: a second start on the
 * same state directory finds them and changes nothing.
 * @module
 */
import { formatOidcProviderArn, formatUserArn } from '../../lib/aws-arn.js';
import { newAccessKeyId, newSecretAccessKey, newUserId } from '../ids.js';
import type { Plane } from '../plane.js';

/** AWS's managed policy that allows every action. */
export const ADMINISTRATOR_ACCESS_ARN = 'arn:aws:iam::aws:policy/AdministratorAccess';

/** The bootstrap user's credentials. */
export interface AdminCredentials {
  userName: string;
  userArn: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** False when the user and key already existed. */
  created: boolean;
}

/**
 * Finds or creates the admin user, its AdministratorAccess attachment and an active access key.
 * @example
 * const admin = ensureAdminUser(plane); // admin.accessKeyId, admin.secretAccessKey
 */
export function ensureAdminUser(plane: Plane, userName = 'irsa-admin'): AdminCredentials {
  return plane.iam.transaction((): AdminCredentials => {
    const now = plane.now();
    let created = false;
    let user = plane.iam.getUser(userName);
    if (user === undefined) {
      user = { userName, userId: newUserId(plane.random), arn: formatUserArn(plane.accountId, userName), path: '/', tags: [], createDate: now };
      plane.iam.createUser(user);
      created = true;
    }
    plane.iam.attachUserPolicy(user.userName, ADMINISTRATOR_ACCESS_ARN);
    let key = plane.iam.listAccessKeys(user.userName).find((k) => k.status === 'Active');
    if (key === undefined) {
      key = { accessKeyId: newAccessKeyId(plane.random), userName: user.userName, secretAccessKey: newSecretAccessKey(plane.random), status: 'Active', createDate: now };
      plane.iam.createAccessKey(key);
      created = true;
    }
    return { userName: user.userName, userArn: user.arn, accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey, created };
  });
}

/**
 * Registers an issuer as an IAM OIDC provider with these client ids, unless a provider for its URL exists (then
 * missing client ids are added). Returns the provider ARN.
 * @example
 * ensureOidcProvider(plane, 'https://oidc.irsa.local', [STS_AUDIENCE, 'openshift']) // STS_AUDIENCE from lib/wire-names
 */
export function ensureOidcProvider(plane: Plane, issuer: string, clientIds: readonly string[]): string {
  return plane.iam.transaction((): string => {
    const existing = plane.iam.getOidcProviderByUrl(issuer);
    if (existing !== undefined) {
      const missing = clientIds.filter((c) => !existing.clientIds.includes(c));
      if (missing.length > 0) plane.iam.setOidcProviderClientIds(existing.arn, [...existing.clientIds, ...missing]);
      return existing.arn;
    }
    const arn = formatOidcProviderArn(plane.accountId, issuer);
    plane.iam.createOidcProvider({ arn, url: issuer, clientIds: [...clientIds], thumbprints: [], tags: [], createDate: plane.now() });
    return arn;
  });
}
