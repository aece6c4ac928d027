/**
 * An in-memory {@link StsBackend}: roles, OIDC providers and customer managed policies in maps, AWS managed policies
 * from the policy engine's data, sessions in the real session store over an in-memory SQLite database. It does real
 * work, so it is both the tests' fake and the adapter for a single role without an IAM store.
 * @module
 */
import { parseRoleArn } from '../../lib/aws-arn.js';
import { getManagedPolicy } from '../../policy/index.js';
import { cryptoRandom, type RandomSource } from '../ids.js';
import { createSessionStore, type IssueSessionInput, type SessionCredentials, type SessionStore } from '../sessions.js';
import { openDatabase } from '../storage/database.js';
import type { StsBackend, StsRole } from './backend.js';
import type { WebIdentityProvider } from './web-identity-token.js';

/**
 * @example
 * const backend = new MemoryStsBackend();
 * backend.addProvider('111122223333', { arn, url: 'https://oidc.irsa.local', clientIds: [STS_AUDIENCE], thumbprints: [] }); // lib/wire-names
 */
export class MemoryStsBackend implements StsBackend {
  private readonly roles = new Map<string, StsRole>();
  private readonly providers = new Map<string, WebIdentityProvider>();
  private readonly policies = new Map<string, string>();
  /** The sessions issued. */
  readonly sessions: SessionStore;

  constructor(options: { now?: () => Date; random?: RandomSource } = {}) {
    this.sessions = createSessionStore(openDatabase(':memory:'), options.now ?? (() => new Date()), options.random ?? cryptoRandom);
  }

  addRole(role: StsRole): this {
    this.roles.set(`${role.accountId}/${role.roleName}`, role);
    return this;
  }

  addProvider(accountId: string, provider: WebIdentityProvider): this {
    this.providers.set(`${accountId} ${provider.url.replace(/^https:\/\//, '')}`, provider);
    return this;
  }

  addManagedPolicy(arn: string, document: string): this {
    this.policies.set(arn, document);
    return this;
  }

  findOidcProvider(accountId: string, hostPath: string): WebIdentityProvider | undefined {
    return this.providers.get(`${accountId} ${hostPath}`);
  }

  getRole(roleArn: string): StsRole | undefined {
    const parsed = parseRoleArn(roleArn);
    if (parsed === undefined) return undefined;
    const role = this.roles.get(`${parsed.accountId}/${parsed.roleName}`);
    return role !== undefined && role.path === parsed.path ? role : undefined;
  }

  getManagedPolicyDocument(policyArn: string): string | undefined {
    const own = this.policies.get(policyArn);
    if (own !== undefined) return own;
    if (!policyArn.startsWith('arn:aws:iam::aws:policy/')) return undefined;
    const managed = getManagedPolicy(policyArn);
    return managed === undefined ? undefined : JSON.stringify(managed.document);
  }

  issueSessionCredentials(input: IssueSessionInput): Promise<SessionCredentials> {
    return this.sessions.issueSessionCredentialsBatched(input);
  }
}
