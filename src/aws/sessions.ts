/**
 * Temporary credentials (spec 4): the session store behind `ASIA…` access keys. STS issues sessions with
 * {@link SessionStore.issueSessionCredentials}; SigV4 verification finds them through {@link SessionStore.findCredential};
 * authorization reads the session's policies, tags and source identity. Stored in SQLite (WAL), so an acknowledged
 * AssumeRole* survives a crash of the process; sessions expired over a day are pruned once issued over 36 hours ago
 * (see pruneExpired).
 *
 * A row of `sts_sessions` holds only what differs between sessions (key, secret, token digest, times, session name)
 * and the id of its "shape" in `sts_session_shapes`: the role, policies, tags, source identity and web identity, which
 * are the same for every session a workload (one service account, one role) creates. A bounded memo maps a shape's
 * content to its row, so a session of a known shape inserts 8 values instead of 19.
 * @module
 */
import { applyMigrations, withoutFsync, type SqliteDatabase } from './storage/database.js';
import { newSecretAccessKey, newSessionToken, sessionAccessKeyId, sessionSerialOf, SESSION_SERIAL_LIMIT, type RandomSource } from './ids.js';
import { formatAssumedRoleArn } from '../lib/aws-arn.js';
import { sessionTokenDigest, type Credential, type CredentialLookup } from './credentials.js';

type Statement = ReturnType<SqliteDatabase['prepare']>;

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

/** The columns of a session's shape (migration 5), as it made them: never change this text. */
const SHAPE_COLUMNS = `
     account_id TEXT NOT NULL,
     role_arn TEXT NOT NULL,
     role_id TEXT NOT NULL,
     role_name TEXT NOT NULL,
     session_policy TEXT,
     policy_arns TEXT NOT NULL,
     tags TEXT NOT NULL,
     transitive_tag_keys TEXT NOT NULL,
     source_identity TEXT,
     chained INTEGER NOT NULL,
     federated_provider TEXT,
     web_identity TEXT`;
/** The shape's column names, in order, as {@link SHAPE_COLUMNS} declares them. */
const SHAPE_COLUMN_LIST = SHAPE_COLUMNS.split(',').map((c) => c.trim().split(/\s+/)[0]!);
const SHAPE_COLUMN_NAMES = SHAPE_COLUMN_LIST.join(', ');

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
  // What sessions of one workload share is stored once, as their shape (an insert costs about 1.4 µs a row, 7-9 ns a
  // byte and 0.3 µs a text column bound: a session of a known shape binds 8 values, about 130 bytes, instead of 19
  // and 350). The session name stays in the session's row: SDKs name each session anew (botocore-session-<time>),
  // and with the name in the shape each such session stored a new shape, two rows instead of one (measured in
  // process on a loaded host: 30 µs a call against 21 before shapes; 16 with the name in the session's row).
  // Sessions already stored get the shape of their content: one row per distinct content (DISTINCT and IS treat
  // NULLs as equal), found through an index made for the copy only (400k sessions: about 1 s, where numbering
  // contents with a window function took 2.5). The expiration index goes with the old table: prune finds expired
  // rows by their serial (see pruneExpired). No foreign key on shape_id: checking it would cost every insert a
  // lookup; the store keeps it valid.
  `CREATE TABLE sts_session_shapes (
     id INTEGER PRIMARY KEY,${SHAPE_COLUMNS}
   );
   INSERT INTO sts_session_shapes (${SHAPE_COLUMN_NAMES}) SELECT DISTINCT ${SHAPE_COLUMN_NAMES} FROM sts_sessions;
   CREATE INDEX sts_session_shapes_content ON sts_session_shapes (${SHAPE_COLUMN_NAMES});
   CREATE TABLE sts_sessions_shaped (
     id INTEGER PRIMARY KEY,
     access_key_id TEXT NOT NULL,
     secret_access_key TEXT NOT NULL,
     session_token_sha256 BLOB NOT NULL,
     expiration INTEGER NOT NULL,
     issued_at INTEGER NOT NULL,
     session_name TEXT NOT NULL,
     shape_id INTEGER NOT NULL
   );
   INSERT INTO sts_sessions_shaped SELECT s.id, s.access_key_id, s.secret_access_key, s.session_token_sha256, s.expiration, s.issued_at, s.session_name, h.id
     FROM sts_sessions s JOIN sts_session_shapes h ON ${SHAPE_COLUMN_LIST.map((c) => `h.${c} IS s.${c}`).join(' AND ')};
   DROP INDEX sts_session_shapes_content;
   DROP TABLE sts_sessions;
   ALTER TABLE sts_sessions_shaped RENAME TO sts_sessions`,
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

/** A stored session with its shape's columns, as reads select it. */
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

/** A shape's column values, in the table's order (bound as they are). */
type ShapeValues = [
  accountId: string, roleArn: string, roleId: string, roleName: string, sessionPolicy: string | null,
  policyArns: string, tags: string, transitiveTagKeys: string, sourceIdentity: string | null, chained: number,
  federatedProvider: string | null, webIdentity: string | null,
];

/** A session waiting for its insert. */
interface NewRow {
  id: number;
  accessKeyId: string;
  secretAccessKey: string;
  sessionTokenSha256: Buffer;
  expiration: number;
  issuedAt: number;
  sessionName: string;
  /** The memo's key of its shape. */
  shapeKey: string;
  /** Its shape's row when the memo knew it as the session was issued, else 0 (found or stored at the insert). */
  shapeId: number;
  /** The shape's values when {@link shapeId} is 0. */
  shape: ShapeValues | undefined;
}

/** Sessions inserted by one statement at most (group commits under load hold about 7). */
const ROWS_PER_INSERT = 8;
const PRUNE_AFTER_MS = 24 * 3600 * 1000;
/** The longest session STS issues (DurationSeconds up to 43,200). */
const LONGEST_SESSION_MS = 43_200 * 1000;
/** Shapes no session refers to any more are deleted at most this often (plane clock). */
const SWEEP_EVERY_MS = 3600 * 1000;
/** Shapes the memo remembers (a workload is one shape: this is more distinct workloads than a cluster has). */
const SHAPE_MEMO_SIZE = 4096;

const SELECT_ROW = `SELECT s.id, s.access_key_id, s.secret_access_key, s.session_token_sha256, s.expiration, s.issued_at, s.session_name,
  h.account_id, h.role_arn, h.role_id, h.role_name, h.session_policy, h.policy_arns, h.tags, h.transitive_tag_keys,
  h.source_identity, h.chained, h.federated_provider, h.web_identity FROM sts_sessions s JOIN sts_session_shapes h ON h.id = s.shape_id`;

/** The session store. Build with {@link createSessionStore}. */
export class SessionStore implements CredentialLookup {
  /** `inserts[k - 1]` inserts k sessions (k from 1 to {@link ROWS_PER_INSERT}). */
  private readonly inserts: readonly Statement[];
  private readonly insertShape;
  /** Inserts rows (and prunes) in one transaction (built once: `db.transaction` per commit costs a wrapper each time). */
  private readonly insertBatch: (rows: readonly NewRow[], nowMs: number) => void;
  private readonly select;
  private readonly selectLegacy;
  private readonly prune;
  private readonly pruneLegacyRows;
  private readonly pruneLegacy;
  private readonly anyLegacy;
  private readonly sweepShapes;
  /** Whether sessions stored before serials may still be looked up by text. */
  private hasLegacy: boolean;
  /** The last serial given out. */
  private lastSerial: number;
  private issuedSincePrune = 0;
  /** When unreferenced shapes were last deleted (0: not since the store opened, so the first prune does). */
  private lastSweepMs = 0;
  /**
   * Shape content ({@link shapeKey}) to its row, bounded (the oldest entry goes first). Every entry points at a
   * committed row: entries are added inside the insert's transaction, the memo is cleared when one fails, and the
   * sweep of unused shapes keeps the memo's (see pruneExpired).
   */
  private readonly shapeIds = new Map<string, number>();
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
    this.inserts = Array.from({ length: ROWS_PER_INSERT }, (_, i) =>
      db.prepare(`INSERT INTO sts_sessions (id, access_key_id, secret_access_key, session_token_sha256, expiration, issued_at, session_name, shape_id) VALUES ${Array(i + 1).fill('(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`),
    );
    this.insertShape = db.prepare(`INSERT INTO sts_session_shapes (${SHAPE_COLUMN_NAMES}) VALUES (${SHAPE_COLUMN_LIST.map(() => '?').join(', ')})`);
    this.insertBatch = db.transaction((rows: readonly NewRow[], nowMs: number) => {
      this.insertRows(rows);
      this.issuedSincePrune += rows.length;
      if (this.issuedSincePrune >= 1000) {
        this.issuedSincePrune = 0;
        this.pruneExpired(nowMs);
      }
    });
    this.select = db.prepare(`${SELECT_ROW} WHERE s.id = ?`);
    this.selectLegacy = db.prepare(`${SELECT_ROW} JOIN sts_legacy_keys k ON k.id = s.id WHERE k.access_key_id = ?`);
    this.prune = db.prepare('DELETE FROM sts_sessions WHERE id < ? AND expiration < ?');
    this.pruneLegacyRows = db.prepare(`DELETE FROM sts_sessions WHERE id >= ${SESSION_SERIAL_LIMIT} AND expiration < ?`);
    this.pruneLegacy = db.prepare('DELETE FROM sts_legacy_keys WHERE id NOT IN (SELECT id FROM sts_sessions)');
    this.anyLegacy = db.prepare('SELECT 1 FROM sts_legacy_keys LIMIT 1');
    // the memo's shapes stay, so its entries stay valid
    this.sweepShapes = db.prepare('DELETE FROM sts_session_shapes WHERE id NOT IN (SELECT shape_id FROM sts_sessions) AND id NOT IN (SELECT value FROM json_each(?))');
    this.hasLegacy = this.anyLegacy.get() !== undefined;
    this.lastSerial = (db.prepare('SELECT max(id) AS id FROM sts_sessions WHERE id < ?').get(SESSION_SERIAL_LIMIT) as { id: number | null }).id ?? 0;
  }

  /** A serial above every one given out, from the clock when it is ahead (it orders rows by issue time). */
  private nextSerial(nowMs: number): number {
    this.lastSerial = Math.max(this.lastSerial + 1, serialAt(nowMs));
    return this.lastSerial;
  }

  /**
   * Deletes sessions expired over a day; runs inside an insert's transaction, every 1000 sessions.
   *
   * Without an index on expiration (it cost each session about 0.6 µs of CPU, measured in process): serials rise with issue time, and a session
   * lasts at most 12 hours, so every row expired over a day has a serial below the one of (now - 1 day - 12 h); the
   * DELETE walks the integer key up to that bound, which holds little more than the rows it deletes (those are gone
   * at the next prune). `expiration < ?` stays in the WHERE, so a row is never deleted early whatever its serial.
   * Legacy rows (keys from before serials, ids from 2^50) have no such order: they are a fixed set, walked by their own
   * id range until none is left.
   *
   * Shapes no session refers to any more go by a scan of all sessions (`NOT IN`): that costs in proportion to the
   * table (60-85 ms with 400k sessions), so it runs at most once an hour of the plane's clock (and at the first
   * prune after the store opens), not at every prune; until then such shapes only take room. Shapes the memo holds
   * are kept (at most its size: clearing it instead would store each workload's shape again after every sweep), and
   * the sweep runs only when no issued session waits for its insert (it may hold a shape evicted from the memo since).
   */
  private pruneExpired(nowMs: number): void {
    const cutoff = nowMs - PRUNE_AFTER_MS;
    this.prune.run(serialAt(cutoff - LONGEST_SESSION_MS), cutoff);
    if (this.hasLegacy) {
      this.pruneLegacyRows.run(cutoff);
      this.pruneLegacy.run();
      this.hasLegacy = this.anyLegacy.get() !== undefined;
    }
    if (this.pending.length === 0 && (nowMs - this.lastSweepMs >= SWEEP_EVERY_MS || nowMs < this.lastSweepMs)) {
      this.lastSweepMs = nowMs;
      this.sweepShapes.run(JSON.stringify([...this.shapeIds.values()]));
    }
  }

  /**
   * Issues and stores session credentials for an assumed role; durable when it returns.
   * @example
   * const creds = plane.sessions.issueSessionCredentials({ accountId, roleArn, roleId, roleName, sessionName, expiration });
   */
  issueSessionCredentials(input: IssueSessionInput): SessionCredentials {
    const nowMs = this.now().getTime();
    const { row, credentials } = this.newSession(input, nowMs);
    this.store([row], nowMs); // durable against kill -9 when it returns: see commitPending
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
    const nowMs = this.now().getTime();
    const { row, credentials } = this.newSession(input, nowMs);
    return new Promise((resolve, reject) => {
      this.pending.push({ row, done: (err) => (err === undefined ? resolve(credentials) : reject(err)) });
      if (this.pending.length === 1) setImmediate(() => this.commitPending(nowMs));
    });
  }

  private readonly pending: Array<{ row: NewRow; done: (err?: unknown) => void }> = [];

  /**
   * WAL without fsync (withoutFsync): the rows survive a crash of the process (kill -9), not a power loss, after which
   * the client simply assumes the role again; an fsync per AssumeRole* would cap STS at the disk's sync rate.
   */
  private commitPending(nowMs: number): void {
    const batch = this.pending.splice(0);
    let failure: unknown;
    try {
      this.store(batch.map((p) => p.row), nowMs);
    } catch (err) {
      failure = err ?? new Error('session commit failed');
    }
    for (const p of batch) p.done(failure);
  }

  /** Inserts rows in one transaction; when it fails, the memo forgets shapes that transaction may have stored. */
  private store(rows: readonly NewRow[], nowMs: number): void {
    try {
      withoutFsync(this.db, () => this.insertBatch(rows, nowMs));
    } catch (err) {
      this.shapeIds.clear();
      throw err;
    }
  }

  /**
   * Inserts sessions up to {@link ROWS_PER_INSERT} per statement (a group commit of 7 as one statement costs about
   * 0.3 µs a session less than 7 statements), storing new shapes first.
   */
  private insertRows(rows: readonly NewRow[]): void {
    const n = rows.length;
    const shapeIds = rows.map((r) => this.shapeIdOf(r));
    for (let i = 0; i < n; ) {
      const k = Math.min(ROWS_PER_INSERT, n - i);
      const values: unknown[] = new Array(8 * k);
      for (let j = 0; j < k; j++) {
        const r = rows[i + j]!;
        values[8 * j] = r.id;
        values[8 * j + 1] = r.accessKeyId;
        values[8 * j + 2] = r.secretAccessKey;
        values[8 * j + 3] = r.sessionTokenSha256;
        values[8 * j + 4] = r.expiration;
        values[8 * j + 5] = r.issuedAt;
        values[8 * j + 6] = r.sessionName;
        values[8 * j + 7] = shapeIds[i + j];
      }
      this.inserts[k - 1]!.run(values);
      i += k;
    }
  }

  /** The shape row of a session: known when it was issued, else from the memo, else stored now. */
  private shapeIdOf(r: NewRow): number {
    let shapeId = r.shapeId;
    if (shapeId === 0) {
      // a session of the same new shape earlier in the batch has stored it already
      shapeId = this.shapeIds.get(r.shapeKey) ?? 0;
      if (shapeId === 0) {
        shapeId = Number(this.insertShape.run(r.shape!).lastInsertRowid);
        if (this.shapeIds.size >= SHAPE_MEMO_SIZE) this.shapeIds.delete(this.shapeIds.keys().next().value!);
        this.shapeIds.set(r.shapeKey, shapeId);
      }
    }
    return shapeId;
  }

  /** A new session's row and the credentials STS answers with (the only place its token is in clear). */
  private newSession(input: IssueSessionInput, nowMs: number): { row: NewRow; credentials: SessionCredentials } {
    const id = this.nextSerial(nowMs);
    const sessionToken = newSessionToken(this.random);
    const policyArns = jsonList(input.policyArns);
    const tags = jsonList(input.tags);
    const transitiveTagKeys = jsonList(input.transitiveTagKeys);
    const webIdentity = input.webIdentity ? JSON.stringify(input.webIdentity) : null;
    const key = shapeKey(input, policyArns, tags, transitiveTagKeys, webIdentity);
    const shapeId = this.shapeIds.get(key) ?? 0;
    const row: NewRow = {
      id,
      accessKeyId: sessionAccessKeyId(id, this.random),
      secretAccessKey: newSecretAccessKey(this.random),
      sessionTokenSha256: sessionTokenDigest(sessionToken),
      expiration: input.expiration.getTime(),
      issuedAt: nowMs,
      sessionName: input.sessionName,
      shapeKey: key,
      shapeId,
      shape: shapeId !== 0 ? undefined : [
        input.accountId, input.roleArn, input.roleId, input.roleName, input.sessionPolicy ?? null, policyArns, tags,
        transitiveTagKeys, input.sourceIdentity ?? null, input.chained === true ? 1 : 0, input.federatedProvider ?? null, webIdentity,
      ],
    };
    return { row, credentials: { accessKeyId: row.accessKeyId, secretAccessKey: row.secretAccessKey, sessionToken, expiration: input.expiration } };
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

/** Serials count 1/256 ms from 2024-01-01: the first serial a session issued at `ms` can get. */
function serialAt(ms: number): number {
  return Math.floor((ms - SERIAL_EPOCH_MS) * SERIALS_PER_MS);
}

/**
 * The memo's key of a shape: its texts joined by NUL, after one character whose bits tell which nullable columns are
 * NULL and whether the session is chained (so NULL and '' differ). JSON texts never hold a raw NUL (JSON.stringify
 * escapes it); when another field does (no valid role, name or policy does), the key is the fields' JSON instead,
 * which cannot begin like the first kind.
 */
function shapeKey(i: IssueSessionInput, policyArns: string, tags: string, transitiveTagKeys: string, webIdentity: string | null): string {
  const policy = i.sessionPolicy ?? null;
  const source = i.sourceIdentity ?? null;
  const provider = i.federatedProvider ?? null;
  const flags = (policy === null ? 1 : 0) | (source === null ? 2 : 0) | (provider === null ? 4 : 0) | (webIdentity === null ? 8 : 0) | (i.chained === true ? 16 : 0);
  const key = `${FLAGS[flags]}${i.accountId}\0${i.roleArn}\0${i.roleId}\0${i.roleName}\0${policy ?? ''}\0${source ?? ''}\0${provider ?? ''}\0${policyArns}\0${tags}\0${transitiveTagKeys}\0${webIdentity ?? ''}`;
  // 11 fields, 10 separators: one more NUL means a field held one
  return nulCount(key) === 10 ? key : JSON.stringify([i.accountId, i.roleArn, i.roleId, i.roleName, policy, source, provider, policyArns, tags, transitiveTagKeys, webIdentity, flags]);
}
function nulCount(s: string): number {
  let n = 0;
  for (let at = s.indexOf('\0'); at !== -1; at = s.indexOf('\0', at + 1)) n++;
  return n;
}
const FLAGS = Array.from({ length: 32 }, (_, i) => String.fromCharCode(i + 1));

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
