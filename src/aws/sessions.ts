/**
 * Temporary credentials (spec 4): the session store behind `ASIA…` access keys. STS issues sessions with
 * {@link SessionStore.issueSessionCredentials}; SigV4 verification finds them through {@link SessionStore.findCredential};
 * authorization reads the session's policies, tags and source identity. Stored in SQLite (WAL), so an acknowledged
 * AssumeRole* survives a crash of the process; expired sessions are pruned a day after expiry.
 * @module
 */
import { applyMigrations, withoutFsync, type SqliteDatabase } from './storage/database.js';
import { newSecretAccessKey, newSessionToken, sessionAccessKeyId, sessionSerialOf, SESSION_SERIAL_LIMIT, type RandomSource } from './ids.js';
import { formatAssumedRoleArn } from '../lib/aws-arn.js';
import { sessionTokenDigest, type Credential, type CredentialLookup } from './credentials.js';

/** A session's columns after its key, as step 1 made them: steps only append, so never change this text. */
const SESSION_COLUMNS = `
     secret_access_key TEXT NOT NULL,
     session_token TEXT NOT NULL,
     expiration INTEGER NOT NULL,
     issued_at INTEGER NOT NULL,
     account_id TEXT NOT NULL,
     role_arn TEXT NOT NULL,
     role_id TEXT NOT NULL,
     role_name TEXT NOT NULL,
     session_name TEXT NOT NULL,
     session_policy TEXT,
     policy_arns TEXT NOT NULL,
     tags TEXT NOT NULL,
     transitive_tag_keys TEXT NOT NULL,
     source_identity TEXT,
     chained INTEGER NOT NULL,
     federated_provider TEXT,
     web_identity TEXT`;

/** The SQL function migration 4 digests stored tokens with (registered on the database before migrating). */
const SESSION_TOKEN_DIGEST_SQL = 'irsa_session_token_sha256';

const MIGRATIONS = [
  `CREATE TABLE sts_sessions (
     access_key_id TEXT PRIMARY KEY,${SESSION_COLUMNS}
   )`,
  'CREATE INDEX sts_sessions_expiration ON sts_sessions (expiration)',
  // Rows keyed by the serial in their access key id (an integer key: a text primary key's index made each insert
  // about twice as dear). Sessions stored before keep their keys, found through sts_legacy_keys, with ids from 2^50
  // up, beyond any serial.
  `CREATE TABLE sts_sessions_by_serial (
     id INTEGER PRIMARY KEY,
     access_key_id TEXT NOT NULL,${SESSION_COLUMNS}
   );
   INSERT INTO sts_sessions_by_serial SELECT ${SESSION_SERIAL_LIMIT} + rowid, * FROM sts_sessions;
   CREATE TABLE sts_legacy_keys (access_key_id TEXT PRIMARY KEY, id INTEGER NOT NULL);
   INSERT INTO sts_legacy_keys SELECT access_key_id, ${SESSION_SERIAL_LIMIT} + rowid FROM sts_sessions;
   DROP TABLE sts_sessions;
   ALTER TABLE sts_sessions_by_serial RENAME TO sts_sessions;
   CREATE INDEX sts_sessions_expiration ON sts_sessions (expiration)`,
  // Session tokens are kept as their SHA-256 (a 32-byte BLOB; the column's declared TEXT does not convert it): a bearer
  // secret is not stored in clear, and each row is 280 bytes smaller (an insert costs about 7 ns a byte: 2 µs less,
  // of which the digest takes back about 1).
  // The secret access key stays: SigV4 needs it to recompute signatures.
  `UPDATE sts_sessions SET session_token = ${SESSION_TOKEN_DIGEST_SQL}(session_token);
   ALTER TABLE sts_sessions RENAME COLUMN session_token TO session_token_sha256`,
];

/** Serials count 1/256 ms from 2024-01-01 (2^50 of them last until 2163), so keys of later sessions sort later. */
const SERIAL_EPOCH_MS = Date.UTC(2024, 0, 1);
const SERIALS_PER_MS = 256;

/** A session tag (`Key`/`Value`). */
export interface SessionTag {
  key: string;
  value: string;
}

/** What STS decided for a new session. */
export interface IssueSessionInput {
  accountId: string;
  roleArn: string;
  roleId: string;
  roleName: string;
  sessionName: string;
  /** When the credentials stop working. */
  expiration: Date;
  /** The inline session policy (`Policy`) as submitted, already validated. */
  sessionPolicy?: string | null;
  /** Managed session policies (`PolicyArns`). */
  policyArns?: readonly string[];
  /** Session tags (from AssumeRole `Tags` or the token's `https://aws.amazon.com/tags` claim). */
  tags?: readonly SessionTag[];
  transitiveTagKeys?: readonly string[];
  sourceIdentity?: string | null;
  /** True when a role session assumed this role (role chaining). */
  chained?: boolean;
  /** For AssumeRoleWithWebIdentity: the provider ARN (`aws:FederatedProvider`). */
  federatedProvider?: string | null;
  /** For AssumeRoleWithWebIdentity: claims worth keeping for explanations (`sub`, `aud`, `iss`). */
  webIdentity?: Readonly<Record<string, unknown>> | null;
}

/** A stored session: its token only as a digest. */
export interface SessionRecord extends Required<Omit<IssueSessionInput, 'expiration'>>, Omit<SessionCredentials, 'sessionToken'> {
  /** {@link sessionTokenDigest} of the session token. */
  sessionTokenSha256: Buffer;
  issuedAt: Date;
  /** `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`. */
  assumedRoleArn: string;
  /** `ROLEID:SESSION`. */
  assumedRoleId: string;
}

/** The credentials STS returns. */
export interface SessionCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

interface Row {
  /** The serial in access_key_id (legacy rows: 2^50 and up). */
  id: number;
  access_key_id: string;
  secret_access_key: string;
  session_token_sha256: Buffer;
  expiration: number;
  issued_at: number;
  account_id: string;
  role_arn: string;
  role_id: string;
  role_name: string;
  session_name: string;
  session_policy: string | null;
  policy_arns: string;
  tags: string;
  transitive_tag_keys: string;
  source_identity: string | null;
  chained: number;
  federated_provider: string | null;
  web_identity: string | null;
}

const PRUNE_AFTER_MS = 24 * 3600 * 1000;

/** The session store. Build with {@link createSessionStore}. */
export class SessionStore implements CredentialLookup {
  private readonly insert;
  /** Inserts rows in one transaction (built once: `db.transaction` per commit costs a wrapper each time). */
  private readonly insertBatch: (rows: readonly Row[]) => void;
  private readonly select;
  private readonly selectLegacy;
  private readonly prune;
  private readonly pruneLegacy;
  private readonly anyLegacy;
  /** Whether sessions stored before serials may still be looked up by text. */
  private hasLegacy: boolean;
  /** The last serial given out. */
  private lastSerial: number;
  private issuedSincePrune = 0;
  /** Sessions never change once issued: recently used ones are kept in memory (bounded). */
  private readonly recent = new Map<string, SessionRecord>();
  /** The credential of each session in {@link recent}. */
  private readonly credentials = new WeakMap<SessionRecord, Credential>();

  constructor(
    private readonly db: SqliteDatabase,
    private readonly now: () => Date,
    private readonly random: RandomSource,
  ) {
    db.function(SESSION_TOKEN_DIGEST_SQL, { deterministic: true }, (token: unknown) => sessionTokenDigest(String(token)));
    applyMigrations(db, 'sts', MIGRATIONS);
    // positional parameters, in the table's column order: binding an object by name costs a property lookup per
    // column and made the insert ~40% dearer (about 3 µs a row)
    this.insert = db.prepare(
      `INSERT INTO sts_sessions (id, access_key_id, secret_access_key, session_token_sha256, expiration, issued_at, account_id, role_arn,
        role_id, role_name, session_name, session_policy, policy_arns, tags, transitive_tag_keys, source_identity, chained,
        federated_provider, web_identity) VALUES (${'?, '.repeat(18)}?)`,
    );
    this.insertBatch = db.transaction((rows: readonly Row[]) => {
      for (const r of rows) this.insertRow(r);
    });
    this.select = db.prepare('SELECT * FROM sts_sessions WHERE id = ?');
    this.selectLegacy = db.prepare('SELECT s.* FROM sts_legacy_keys k JOIN sts_sessions s ON s.id = k.id WHERE k.access_key_id = ?');
    this.prune = db.prepare('DELETE FROM sts_sessions WHERE expiration < ?');
    this.pruneLegacy = db.prepare('DELETE FROM sts_legacy_keys WHERE id NOT IN (SELECT id FROM sts_sessions)');
    this.anyLegacy = db.prepare('SELECT 1 FROM sts_legacy_keys LIMIT 1');
    this.hasLegacy = this.anyLegacy.get() !== undefined;
    this.lastSerial = (db.prepare('SELECT max(id) AS id FROM sts_sessions WHERE id < ?').get(SESSION_SERIAL_LIMIT) as { id: number | null }).id ?? 0;
  }

  /** A serial above every one given out, from the clock when it is ahead (it orders rows by issue time). */
  private nextSerial(nowMs: number): number {
    this.lastSerial = Math.max(this.lastSerial + 1, Math.floor((nowMs - SERIAL_EPOCH_MS) * SERIALS_PER_MS));
    return this.lastSerial;
  }

  /**
   * Issues and stores session credentials for an assumed role; durable when it returns.
   * @example
   * const creds = plane.sessions.issueSessionCredentials({ accountId, roleArn, roleId, roleName, sessionName, expiration });
   */
  issueSessionCredentials(input: IssueSessionInput): SessionCredentials {
    const { row, credentials } = this.newSession(input);
    withoutFsync(this.db, () => this.insertRow(row)); // durable against kill -9 when it returns: see commitPending
    return credentials;
  }

  /**
   * Issues session credentials like {@link issueSessionCredentials}, but sessions issued while the event loop is in
   * one phase (concurrent AssumeRole* calls) are committed in one transaction just after it (group commit); each
   * promise settles after its row is committed, so an answered session survives `kill -9` as before.
   * @example
   * const creds = await plane.sessions.issueSessionCredentialsBatched({ accountId, roleArn, roleId, roleName, sessionName, expiration });
   */
  issueSessionCredentialsBatched(input: IssueSessionInput): Promise<SessionCredentials> {
    const { row, credentials } = this.newSession(input);
    return new Promise((resolve, reject) => {
      this.pending.push({ row, done: (err) => (err === undefined ? resolve(credentials) : reject(err)) });
      if (this.pending.length === 1) setImmediate(() => this.commitPending());
    });
  }

  private readonly pending: Array<{ row: Row; done: (err?: unknown) => void }> = [];

  /**
   * WAL without fsync (withoutFsync): the rows survive a crash of the process (kill -9), not a power loss, after which
   * the client simply assumes the role again; an fsync per AssumeRole* would cap STS at the disk's sync rate.
   */
  private commitPending(): void {
    const batch = this.pending.splice(0);
    let failure: unknown;
    try {
      const rows = batch.map((p) => p.row);
      withoutFsync(this.db, () => this.insertBatch(rows));
    } catch (err) {
      failure = err ?? new Error('session commit failed');
    }
    for (const p of batch) p.done(failure);
  }

  private insertRow(r: Row): void {
    this.insert.run(
      r.id, r.access_key_id, r.secret_access_key, r.session_token_sha256, r.expiration, r.issued_at, r.account_id, r.role_arn, r.role_id,
      r.role_name, r.session_name, r.session_policy, r.policy_arns, r.tags, r.transitive_tag_keys, r.source_identity,
      r.chained, r.federated_provider, r.web_identity,
    );
  }

  /** A new session's row and the credentials STS answers with (the only place its token is in clear). */
  private newSession(input: IssueSessionInput): { row: Row; credentials: SessionCredentials } {
    const now = this.now();
    if (++this.issuedSincePrune >= 1000) {
      this.issuedSincePrune = 0;
      this.prune.run(now.getTime() - PRUNE_AFTER_MS);
      if (this.hasLegacy) {
        this.pruneLegacy.run();
        this.hasLegacy = this.anyLegacy.get() !== undefined;
      }
    }
    const id = this.nextSerial(now.getTime());
    const sessionToken = newSessionToken(this.random);
    const row: Row = {
      id,
      access_key_id: sessionAccessKeyId(id, this.random),
      secret_access_key: newSecretAccessKey(this.random),
      session_token_sha256: sessionTokenDigest(sessionToken),
      expiration: input.expiration.getTime(),
      issued_at: now.getTime(),
      account_id: input.accountId,
      role_arn: input.roleArn,
      role_id: input.roleId,
      role_name: input.roleName,
      session_name: input.sessionName,
      session_policy: input.sessionPolicy ?? null,
      policy_arns: jsonList(input.policyArns),
      tags: jsonList(input.tags),
      transitive_tag_keys: jsonList(input.transitiveTagKeys),
      source_identity: input.sourceIdentity ?? null,
      chained: input.chained === true ? 1 : 0,
      federated_provider: input.federatedProvider ?? null,
      web_identity: input.webIdentity ? JSON.stringify(input.webIdentity) : null,
    };
    return { row, credentials: { accessKeyId: row.access_key_id, secretAccessKey: row.secret_access_key, sessionToken, expiration: input.expiration } };
  }

  /** The session of an `ASIA…` key, expired or not (callers check `expiration`). */
  getSession(accessKeyId: string): SessionRecord | undefined {
    const hit = this.recent.get(accessKeyId);
    if (hit !== undefined) return hit;
    const serial = sessionSerialOf(accessKeyId);
    let row = serial === undefined ? undefined : (this.select.get(serial) as Row | undefined);
    // the serial's row is another session's when the rest of the key differs
    if (row !== undefined && row.access_key_id !== accessKeyId) row = undefined;
    if (row === undefined && this.hasLegacy) row = this.selectLegacy.get(accessKeyId) as Row | undefined;
    if (row === undefined) return undefined;
    const record = toRecord(row);
    if (this.recent.size >= 10000) this.recent.delete(this.recent.keys().next().value!);
    this.recent.set(accessKeyId, record);
    return record;
  }

  findCredential(accessKeyId: string): Credential | undefined {
    const s = this.getSession(accessKeyId);
    if (s === undefined) return undefined;
    let credential = this.credentials.get(s);
    if (credential === undefined) {
      credential = sessionCredential(s);
      this.credentials.set(s, credential);
    }
    return credential;
  }
}

/** A list column's text (most sessions have none: no JSON work for them). */
function jsonList(list: readonly unknown[] | undefined): string {
  return list === undefined || list.length === 0 ? '[]' : JSON.stringify(list);
}

function sessionCredential(s: SessionRecord): Credential {
  return {
    accessKeyId: s.accessKeyId,
    secretAccessKey: s.secretAccessKey,
    sessionTokenSha256: s.sessionTokenSha256,
    expiration: s.expiration,
    active: true,
    principal: {
      kind: 'assumed-role',
      accountId: s.accountId,
      arn: s.assumedRoleArn,
      userId: s.assumedRoleId,
      roleArn: s.roleArn,
      roleName: s.roleName,
      roleId: s.roleId,
      sessionName: s.sessionName,
      accessKeyId: s.accessKeyId,
    },
  };
}

function toRecord(r: Row): SessionRecord {
  return {
    accessKeyId: r.access_key_id,
    secretAccessKey: r.secret_access_key,
    sessionTokenSha256: r.session_token_sha256,
    expiration: new Date(r.expiration),
    issuedAt: new Date(r.issued_at),
    accountId: r.account_id,
    roleArn: r.role_arn,
    roleId: r.role_id,
    roleName: r.role_name,
    sessionName: r.session_name,
    sessionPolicy: r.session_policy,
    policyArns: JSON.parse(r.policy_arns) as string[],
    tags: JSON.parse(r.tags) as SessionTag[],
    transitiveTagKeys: JSON.parse(r.transitive_tag_keys) as string[],
    sourceIdentity: r.source_identity,
    chained: r.chained === 1,
    federatedProvider: r.federated_provider,
    webIdentity: r.web_identity === null ? null : (JSON.parse(r.web_identity) as Record<string, unknown>),
    assumedRoleArn: formatAssumedRoleArn(r.account_id, r.role_name, r.session_name),
    assumedRoleId: `${r.role_id}:${r.session_name}`,
  };
}

/**
 * Opens the session store on the plane's database (creating its table).
 * @example
 * const sessions = createSessionStore(db, () => new Date(), cryptoRandom);
 */
export function createSessionStore(db: SqliteDatabase, now: () => Date, random: RandomSource): SessionStore {
  return new SessionStore(db, now, random);
}
