/**
 * IAM's entities in SQLite: users and their access keys, roles (trust policy, tags, inline and attached policies),
 * customer managed policies with their versions, and OIDC providers. Names are unique case-insensitively and keep
 * their case (spec 5). Plain data in, plain data out: validation and AWS errors live in the actions.
 * Each write is one transaction, durable when the call returns (the database runs `synchronous = FULL`).
 * @module
 */
import type { Statement } from 'better-sqlite3';
import { applyMigrations, withoutFsync, type SqliteDatabase } from '../storage/database.js';

const MIGRATIONS = [
  `CREATE TABLE iam_users (
     name_lower TEXT PRIMARY KEY, name TEXT NOT NULL, user_id TEXT NOT NULL UNIQUE, arn TEXT NOT NULL, path TEXT NOT NULL,
     tags TEXT NOT NULL, create_date INTEGER NOT NULL)`,
  `CREATE TABLE iam_access_keys (
     access_key_id TEXT PRIMARY KEY, user_name_lower TEXT NOT NULL REFERENCES iam_users (name_lower) ON DELETE CASCADE,
     secret_access_key TEXT NOT NULL, status TEXT NOT NULL, create_date INTEGER NOT NULL)`,
  `CREATE TABLE iam_user_attached_policies (
     user_name_lower TEXT NOT NULL REFERENCES iam_users (name_lower) ON DELETE CASCADE, policy_arn TEXT NOT NULL,
     position INTEGER NOT NULL, PRIMARY KEY (user_name_lower, policy_arn))`,
  `CREATE TABLE iam_roles (
     name_lower TEXT PRIMARY KEY, name TEXT NOT NULL, role_id TEXT NOT NULL UNIQUE, arn TEXT NOT NULL, path TEXT NOT NULL,
     trust_policy TEXT NOT NULL, description TEXT, max_session_duration INTEGER NOT NULL, permissions_boundary TEXT,
     tags TEXT NOT NULL, create_date INTEGER NOT NULL, last_used_date INTEGER, last_used_region TEXT)`,
  `CREATE TABLE iam_role_inline_policies (
     role_name_lower TEXT NOT NULL REFERENCES iam_roles (name_lower) ON DELETE CASCADE, policy_name TEXT NOT NULL,
     document TEXT NOT NULL, PRIMARY KEY (role_name_lower, policy_name))`,
  `CREATE TABLE iam_role_attached_policies (
     role_name_lower TEXT NOT NULL REFERENCES iam_roles (name_lower) ON DELETE CASCADE, policy_arn TEXT NOT NULL,
     position INTEGER NOT NULL, PRIMARY KEY (role_name_lower, policy_arn))`,
  `CREATE TABLE iam_policies (
     arn TEXT PRIMARY KEY, name_lower TEXT NOT NULL UNIQUE, name TEXT NOT NULL, policy_id TEXT NOT NULL, path TEXT NOT NULL,
     description TEXT, default_version TEXT NOT NULL, next_version INTEGER NOT NULL, tags TEXT NOT NULL,
     create_date INTEGER NOT NULL, update_date INTEGER NOT NULL)`,
  `CREATE TABLE iam_policy_versions (
     policy_arn TEXT NOT NULL REFERENCES iam_policies (arn) ON DELETE CASCADE, version_id TEXT NOT NULL,
     document TEXT NOT NULL, create_date INTEGER NOT NULL, PRIMARY KEY (policy_arn, version_id))`,
  `CREATE TABLE iam_oidc_providers (
     arn TEXT PRIMARY KEY, url TEXT NOT NULL, client_ids TEXT NOT NULL, thumbprints TEXT NOT NULL, tags TEXT NOT NULL,
     create_date INTEGER NOT NULL)`,
];

/** A tag (`Key`/`Value`). */
export interface Tag {
  Key: string;
  Value: string;
}

export interface UserRecord {
  userName: string;
  userId: string;
  arn: string;
  path: string;
  tags: Tag[];
  createDate: Date;
}

export interface AccessKeyRecord {
  accessKeyId: string;
  userName: string;
  secretAccessKey: string;
  status: 'Active' | 'Inactive';
  createDate: Date;
}

export interface RoleRecord {
  roleName: string;
  roleId: string;
  arn: string;
  path: string;
  /** The trust policy exactly as submitted. */
  assumeRolePolicyDocument: string;
  description: string | null;
  maxSessionDuration: number;
  permissionsBoundary: string | null;
  tags: Tag[];
  createDate: Date;
  lastUsedDate: Date | null;
  lastUsedRegion: string | null;
}

export interface InlinePolicyRecord {
  policyName: string;
  document: string;
}

export interface ManagedPolicyRecord {
  arn: string;
  policyName: string;
  policyId: string;
  path: string;
  description: string | null;
  defaultVersionId: string;
  nextVersion: number;
  tags: Tag[];
  createDate: Date;
  updateDate: Date;
}

export interface PolicyVersionRecord {
  versionId: string;
  document: string;
  createDate: Date;
}

export interface OidcProviderRecord {
  arn: string;
  /** The URL as registered (`https://host/path`). */
  url: string;
  clientIds: string[];
  thumbprints: string[];
  tags: Tag[];
  createDate: Date;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
type Row = Record<string, any>;

function user(r: Row): UserRecord {
  return { userName: r.name, userId: r.user_id, arn: r.arn, path: r.path, tags: JSON.parse(r.tags), createDate: new Date(r.create_date) };
}
function role(r: Row): RoleRecord {
  return {
    roleName: r.name,
    roleId: r.role_id,
    arn: r.arn,
    path: r.path,
    assumeRolePolicyDocument: r.trust_policy,
    description: r.description,
    maxSessionDuration: r.max_session_duration,
    permissionsBoundary: r.permissions_boundary,
    tags: JSON.parse(r.tags),
    createDate: new Date(r.create_date),
    lastUsedDate: r.last_used_date === null ? null : new Date(r.last_used_date),
    lastUsedRegion: r.last_used_region,
  };
}
function policy(r: Row): ManagedPolicyRecord {
  return {
    arn: r.arn,
    policyName: r.name,
    policyId: r.policy_id,
    path: r.path,
    description: r.description,
    defaultVersionId: r.default_version,
    nextVersion: r.next_version,
    tags: JSON.parse(r.tags),
    createDate: new Date(r.create_date),
    updateDate: new Date(r.update_date),
  };
}
function provider(r: Row): OidcProviderRecord {
  return {
    arn: r.arn,
    url: r.url,
    clientIds: JSON.parse(r.client_ids),
    thumbprints: JSON.parse(r.thumbprints),
    tags: JSON.parse(r.tags),
    createDate: new Date(r.create_date),
  };
}

/** IAM's storage. Build with {@link createIamStore}. */
export class IamStore {
  /** Prepared statements by SQL text: each is compiled once. */
  private readonly statements = new Map<string, Statement<unknown[]>>();
  /**
   * Read results by query and arguments, dropped at every write: every request reads the caller's key, user,
   * role and policies, and IAM changes rarely. Valid because one plane process owns its database file.
   */
  private readonly reads = new Map<string, unknown>();
  private static readonly MAX_READS = 20000;
  private writes = 0;

  /** Changes at every write (and rollback): what callers derive from IAM's data (credentials, policy sets) is valid while it stays the same. */
  get generation(): number {
    return this.writes;
  }

  constructor(readonly db: SqliteDatabase) {
    applyMigrations(db, 'iam', MIGRATIONS);
  }

  private stmt(sql: string): Statement<unknown[]> {
    let s = this.statements.get(sql);
    if (s === undefined) {
      s = this.db.prepare<unknown[]>(sql);
      this.statements.set(sql, s);
    }
    return s;
  }
  /** A number per query text, so a read's cache key is short (the texts are constants: their lookup is cheap). */
  private readonly queryIds = new Map<string, number>();
  private remember<T>(kind: string, sql: string, args: unknown[], read: () => T): T {
    let id = this.queryIds.get(sql);
    if (id === undefined) this.queryIds.set(sql, (id = this.queryIds.size));
    const key = `${kind}${id}\u0000${args.length === 1 ? String(args[0]) : args.join('\u0000')}`;
    const found = this.reads.get(key);
    if (found !== undefined || this.reads.has(key)) return found as T;
    const value = read();
    if (this.reads.size >= IamStore.MAX_READS) this.reads.clear();
    this.reads.set(key, value);
    return value;
  }
  private one<T>(sql: string, map: (r: Row) => T, ...args: unknown[]): T | undefined {
    return this.remember('one', sql, args, () => {
      const r = this.stmt(sql).get(...args) as Row | undefined;
      return r === undefined ? undefined : map(r);
    });
  }
  private all<T>(sql: string, map: (r: Row) => T, ...args: unknown[]): T[] {
    return this.remember('all', sql, args, () => (this.stmt(sql).all(...args) as Row[]).map(map));
  }
  private run(sql: string, ...args: unknown[]): number {
    this.reads.clear();
    this.writes++;
    return this.stmt(sql).run(...args).changes;
  }

  /** Runs `fn` in one transaction; a rollback also forgets what was read inside it. */
  transaction<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn)();
    } catch (err) {
      this.reads.clear();
      this.writes++;
      throw err;
    }
  }

  // ------------------------------------------------------------------ users and keys
  getUser(name: string): UserRecord | undefined {
    return this.one('SELECT * FROM iam_users WHERE name_lower = ?', user, name.toLowerCase());
  }
  createUser(u: UserRecord): void {
    this.run('INSERT INTO iam_users VALUES (?, ?, ?, ?, ?, ?, ?)', u.userName.toLowerCase(), u.userName, u.userId, u.arn, u.path, JSON.stringify(u.tags), u.createDate.getTime());
  }
  listUsers(): UserRecord[] {
    return this.all('SELECT * FROM iam_users ORDER BY name_lower', user);
  }
  createAccessKey(k: AccessKeyRecord): void {
    this.run('INSERT INTO iam_access_keys VALUES (?, ?, ?, ?, ?)', k.accessKeyId, k.userName.toLowerCase(), k.secretAccessKey, k.status, k.createDate.getTime());
  }
  getAccessKey(accessKeyId: string): (AccessKeyRecord & { user: UserRecord }) | undefined {
    const sql = 'SELECT k.*, u.name, u.user_id, u.arn, u.path, u.tags, u.create_date AS user_create_date FROM iam_access_keys k JOIN iam_users u ON u.name_lower = k.user_name_lower WHERE k.access_key_id = ?';
    const r = this.remember('one', sql, [accessKeyId], () => this.stmt(sql).get(accessKeyId) as Row | undefined);
    if (r === undefined) return undefined;
    const u = user({ ...r, create_date: r.user_create_date });
    return { accessKeyId: r.access_key_id, userName: u.userName, secretAccessKey: r.secret_access_key, status: r.status, createDate: new Date(r.create_date), user: u };
  }
  listAccessKeys(userName: string): AccessKeyRecord[] {
    return this.all(
      'SELECT k.*, u.name FROM iam_access_keys k JOIN iam_users u ON u.name_lower = k.user_name_lower WHERE k.user_name_lower = ? ORDER BY k.create_date, k.access_key_id',
      (r) => ({ accessKeyId: r.access_key_id, userName: r.name, secretAccessKey: r.secret_access_key, status: r.status, createDate: new Date(r.create_date) }),
      userName.toLowerCase(),
    );
  }
  attachUserPolicy(userName: string, policyArn: string): void {
    this.run(
      'INSERT OR IGNORE INTO iam_user_attached_policies VALUES (?, ?, (SELECT coalesce(max(position), 0) + 1 FROM iam_user_attached_policies))',
      userName.toLowerCase(),
      policyArn,
    );
  }
  listUserAttachedPolicies(userName: string): string[] {
    return this.all('SELECT policy_arn FROM iam_user_attached_policies WHERE user_name_lower = ? ORDER BY position', (r) => r.policy_arn as string, userName.toLowerCase());
  }

  // ------------------------------------------------------------------ roles
  getRole(name: string): RoleRecord | undefined {
    return this.one('SELECT * FROM iam_roles WHERE name_lower = ?', role, name.toLowerCase());
  }
  /** The role an ARN names: same name and the same path and account (AWS finds no role for a wrong path). */
  getRoleByArn(arn: string): RoleRecord | undefined {
    return this.one('SELECT * FROM iam_roles WHERE arn = ?', role, arn);
  }
  createRole(r: RoleRecord): void {
    this.run(
      'INSERT INTO iam_roles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)',
      r.roleName.toLowerCase(), r.roleName, r.roleId, r.arn, r.path, r.assumeRolePolicyDocument, r.description, r.maxSessionDuration,
      r.permissionsBoundary, JSON.stringify(r.tags), r.createDate.getTime(),
    );
  }
  listRoles(): RoleRecord[] {
    return this.all('SELECT * FROM iam_roles ORDER BY name_lower', role);
  }
  deleteRole(name: string): void {
    this.run('DELETE FROM iam_roles WHERE name_lower = ?', name.toLowerCase());
  }
  updateRole(name: string, fields: { description?: string; maxSessionDuration?: number }): void {
    if (fields.description !== undefined) this.run('UPDATE iam_roles SET description = ? WHERE name_lower = ?', fields.description, name.toLowerCase());
    if (fields.maxSessionDuration !== undefined) this.run('UPDATE iam_roles SET max_session_duration = ? WHERE name_lower = ?', fields.maxSessionDuration, name.toLowerCase());
  }
  setTrustPolicy(name: string, document: string): void {
    this.run('UPDATE iam_roles SET trust_policy = ? WHERE name_lower = ?', document, name.toLowerCase());
  }
  setRoleTags(name: string, tags: readonly Tag[]): void {
    this.run('UPDATE iam_roles SET tags = ? WHERE name_lower = ?', JSON.stringify(tags), name.toLowerCase());
  }
  /** Bookkeeping, not a caller's acknowledged write: not fsynced (see {@link withoutFsync}). */
  markRoleUsed(name: string, date: Date, region: string): void {
    withoutFsync(this.db, () => this.run('UPDATE iam_roles SET last_used_date = ?, last_used_region = ? WHERE name_lower = ?', date.getTime(), region, name.toLowerCase()));
  }
  putRolePolicy(roleName: string, policyName: string, document: string): void {
    this.run('INSERT INTO iam_role_inline_policies VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET document = excluded.document', roleName.toLowerCase(), policyName, document);
  }
  getRolePolicy(roleName: string, policyName: string): InlinePolicyRecord | undefined {
    return this.one(
      'SELECT policy_name, document FROM iam_role_inline_policies WHERE role_name_lower = ? AND policy_name = ?',
      (r) => ({ policyName: r.policy_name, document: r.document }),
      roleName.toLowerCase(),
      policyName,
    );
  }
  listRolePolicies(roleName: string): InlinePolicyRecord[] {
    return this.all(
      'SELECT policy_name, document FROM iam_role_inline_policies WHERE role_name_lower = ? ORDER BY policy_name',
      (r) => ({ policyName: r.policy_name, document: r.document }),
      roleName.toLowerCase(),
    );
  }
  deleteRolePolicy(roleName: string, policyName: string): boolean {
    return this.run('DELETE FROM iam_role_inline_policies WHERE role_name_lower = ? AND policy_name = ?', roleName.toLowerCase(), policyName) > 0;
  }
  attachRolePolicy(roleName: string, policyArn: string): void {
    this.run(
      'INSERT OR IGNORE INTO iam_role_attached_policies VALUES (?, ?, (SELECT coalesce(max(position), 0) + 1 FROM iam_role_attached_policies))',
      roleName.toLowerCase(),
      policyArn,
    );
  }
  detachRolePolicy(roleName: string, policyArn: string): boolean {
    return this.run('DELETE FROM iam_role_attached_policies WHERE role_name_lower = ? AND policy_arn = ?', roleName.toLowerCase(), policyArn) > 0;
  }
  listRoleAttachedPolicies(roleName: string): string[] {
    return this.all('SELECT policy_arn FROM iam_role_attached_policies WHERE role_name_lower = ? ORDER BY position', (r) => r.policy_arn as string, roleName.toLowerCase());
  }
  /** How many roles and users have the policy attached. */
  attachmentCount(policyArn: string): number {
    const r = this
      .stmt('SELECT (SELECT count(*) FROM iam_role_attached_policies WHERE policy_arn = ?) + (SELECT count(*) FROM iam_user_attached_policies WHERE policy_arn = ?) AS n')
      .get(policyArn, policyArn) as { n: number };
    return r.n;
  }
  /** How many roles use the policy as their permissions boundary. */
  boundaryUsageCount(policyArn: string): number {
    return (this.stmt('SELECT count(*) AS n FROM iam_roles WHERE permissions_boundary = ?').get(policyArn) as { n: number }).n;
  }

  // ------------------------------------------------------------------ customer managed policies
  getPolicy(arn: string): ManagedPolicyRecord | undefined {
    return this.one('SELECT * FROM iam_policies WHERE arn = ?', policy, arn);
  }
  getPolicyByName(name: string): ManagedPolicyRecord | undefined {
    return this.one('SELECT * FROM iam_policies WHERE name_lower = ?', policy, name.toLowerCase());
  }
  listPolicies(): ManagedPolicyRecord[] {
    return this.all('SELECT * FROM iam_policies ORDER BY name_lower', policy);
  }
  createPolicy(p: ManagedPolicyRecord, document: string): void {
    this.transaction(() => {
      this.run(
        'INSERT INTO iam_policies VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        p.arn, p.policyName.toLowerCase(), p.policyName, p.policyId, p.path, p.description, p.defaultVersionId, p.nextVersion,
        JSON.stringify(p.tags), p.createDate.getTime(), p.updateDate.getTime(),
      );
      this.run('INSERT INTO iam_policy_versions VALUES (?, ?, ?, ?)', p.arn, p.defaultVersionId, document, p.createDate.getTime());
    });
  }
  deletePolicy(arn: string): void {
    this.run('DELETE FROM iam_policies WHERE arn = ?', arn);
  }
  getPolicyVersion(arn: string, versionId: string): PolicyVersionRecord | undefined {
    return this.one(
      'SELECT * FROM iam_policy_versions WHERE policy_arn = ? AND version_id = ?',
      (r) => ({ versionId: r.version_id, document: r.document, createDate: new Date(r.create_date) }),
      arn,
      versionId,
    );
  }
  listPolicyVersions(arn: string): PolicyVersionRecord[] {
    return this.all(
      'SELECT * FROM iam_policy_versions WHERE policy_arn = ? ORDER BY create_date DESC, version_id DESC',
      (r) => ({ versionId: r.version_id, document: r.document, createDate: new Date(r.create_date) }),
      arn,
    );
  }
  /** Adds a version (`v<next>`), optionally as the default; returns its id. */
  addPolicyVersion(arn: string, document: string, setAsDefault: boolean, date: Date): string {
    return this.transaction(() => {
      const p = this.getPolicy(arn)!;
      const versionId = `v${p.nextVersion}`;
      this.run('INSERT INTO iam_policy_versions VALUES (?, ?, ?, ?)', arn, versionId, document, date.getTime());
      this.run(
        'UPDATE iam_policies SET next_version = next_version + 1, update_date = ?, default_version = CASE WHEN ? THEN ? ELSE default_version END WHERE arn = ?',
        date.getTime(), setAsDefault ? 1 : 0, versionId, arn,
      );
      return versionId;
    });
  }

  // ------------------------------------------------------------------ OIDC providers
  getOidcProvider(arn: string): OidcProviderRecord | undefined {
    return this.one('SELECT * FROM iam_oidc_providers WHERE arn = ?', provider, arn);
  }
  /** The provider registered for exactly this URL (no normalization: a trailing slash is another provider). */
  getOidcProviderByUrl(url: string): OidcProviderRecord | undefined {
    return this.one('SELECT * FROM iam_oidc_providers WHERE url = ?', provider, url);
  }
  listOidcProviders(): OidcProviderRecord[] {
    return this.all('SELECT * FROM iam_oidc_providers ORDER BY arn', provider);
  }
  createOidcProvider(p: OidcProviderRecord): void {
    this.run('INSERT INTO iam_oidc_providers VALUES (?, ?, ?, ?, ?, ?)', p.arn, p.url, JSON.stringify(p.clientIds), JSON.stringify(p.thumbprints), JSON.stringify(p.tags), p.createDate.getTime());
  }
  setOidcProviderClientIds(arn: string, clientIds: readonly string[]): void {
    this.run('UPDATE iam_oidc_providers SET client_ids = ? WHERE arn = ?', JSON.stringify(clientIds), arn);
  }
  setOidcProviderThumbprints(arn: string, thumbprints: readonly string[]): void {
    this.run('UPDATE iam_oidc_providers SET thumbprints = ? WHERE arn = ?', JSON.stringify(thumbprints), arn);
  }
  deleteOidcProvider(arn: string): void {
    this.run('DELETE FROM iam_oidc_providers WHERE arn = ?', arn);
  }
}

/**
 * Opens IAM's storage on the plane's database (creating or migrating its tables).
 * @example
 * const iam = createIamStore(openDatabase('.irsa/aws.sqlite'));
 */
export function createIamStore(db: SqliteDatabase): IamStore {
  return new IamStore(db);
}
