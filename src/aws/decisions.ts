/**
 * The decision log: every authorization decision with its explanation, by request id, bounded (the newest
 * {@link DecisionLog.maxEntries} are kept) in SQLite, so `irsa why` in another process can print it. Writes are
 * batched (one transaction per burst) because a decision is a record for people, not an acknowledged write.
 * @module
 */
import { applyMigrations, withoutFsync, type SqliteDatabase } from './storage/database.js';
import type { Decision } from '../policy/index.js';

const MIGRATIONS = [
  `CREATE TABLE decisions (
     seq INTEGER PRIMARY KEY AUTOINCREMENT, request_id TEXT NOT NULL, time INTEGER NOT NULL, service TEXT NOT NULL,
     principal TEXT NOT NULL, action TEXT NOT NULL, resource TEXT NOT NULL, decision TEXT NOT NULL,
     summary TEXT NOT NULL, explanation TEXT NOT NULL)`,
  'CREATE INDEX decisions_request ON decisions (request_id)',
  'CREATE INDEX decisions_denials ON decisions (decision, seq)',
  // Every request records a decision and the bound deletes as many: two indexes tripled that write for lookups
  // (`irsa why`, a person) that scan at most maxEntries rows without them.
  'DROP INDEX decisions_request; DROP INDEX decisions_denials',
];

/** Rows written by one INSERT statement when a batch is flushed (one native call instead of one per decision). */
const ROWS_PER_INSERT = 64;
const COLUMNS = '(request_id, time, service, principal, action, resource, decision, summary, explanation)';

/** One recorded decision. */
export interface DecisionRecord {
  requestId: string;
  time: Date;
  /** `iam`, `sts`, `s3`. */
  service: string;
  /** The caller's ARN (or `anonymous`). */
  principal: string;
  action: string;
  resource: string;
  decision: Decision;
  /** One line (what `x-irsa-explain` carries). */
  summary: string;
  /** The full explanation: policies in scope, each statement's outcome, failing conditions with their values. */
  explanation: string;
}

/** A stored row: the record's fields, with the request id and the time as their columns hold them. */
type Row = Omit<DecisionRecord, 'requestId' | 'time'> & { request_id: string; time: number };

function columns(d: DecisionRecord): unknown[] {
  return [d.requestId, d.time.getTime(), d.service, d.principal, d.action, d.resource, d.decision, d.summary, d.explanation];
}

function toRecord(r: Row): DecisionRecord {
  return { requestId: r.request_id, time: new Date(r.time), service: r.service, principal: r.principal, action: r.action, resource: r.resource, decision: r.decision, summary: r.summary, explanation: r.explanation };
}

/** The decision log. Build with {@link createDecisionLog}. */
export class DecisionLog {
  private pending: DecisionRecord[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly insert;
  private readonly insertMany;
  private readonly trim;

  constructor(
    private readonly db: SqliteDatabase,
    readonly maxEntries = 10000,
    /** A denial is written within this time (`irsa why` right after a failed call finds it). */
    private readonly flushDelayMs = 50,
    /** Allows are written within this time, in bigger batches. */
    private readonly allowFlushDelayMs = 1000,
  ) {
    applyMigrations(db, 'decisions', MIGRATIONS);
    this.insert = db.prepare(`INSERT INTO decisions ${COLUMNS} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.insertMany = db.prepare(`INSERT INTO decisions ${COLUMNS} VALUES ${Array(ROWS_PER_INSERT).fill('(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`);
    this.trim = db.prepare('DELETE FROM decisions WHERE seq <= (SELECT max(seq) FROM decisions) - ?');
  }

  private timerIsShort = false;

  /** Records a decision (a denial written within `flushDelayMs`, an allow within `allowFlushDelayMs`, or at {@link flush}). */
  record(d: DecisionRecord): void {
    this.pending.push(d);
    if (this.pending.length >= 1024) return this.flush();
    const short = d.decision !== 'Allow';
    if (this.timer !== null && (this.timerIsShort || !short)) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timerIsShort = short;
    this.timer = setTimeout(() => this.flush(), short ? this.flushDelayMs : this.allowFlushDelayMs);
    this.timer.unref();
  }

  /** Writes what is pending in one transaction and trims the log to its bound. */
  flush(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    // A decision is a record for people, not an acknowledged write: no fsync for it (the rest of the plane keeps FULL).
    withoutFsync(this.db, () =>
      this.db.transaction(() => {
        let i = 0;
        for (; i + ROWS_PER_INSERT <= batch.length; i += ROWS_PER_INSERT) {
          const values: unknown[] = [];
          for (let j = i; j < i + ROWS_PER_INSERT; j++) values.push(...columns(batch[j]!));
          this.insertMany.run(values);
        }
        for (; i < batch.length; i++) this.insert.run(columns(batch[i]!));
        this.trim.run(this.maxEntries);
      })(),
    );
  }

  /** The decisions of one request (a request may need several, e.g. PutObject with an ACL). */
  forRequest(requestId: string): DecisionRecord[] {
    const stored = (this.db.prepare('SELECT * FROM decisions WHERE request_id = ? ORDER BY seq').all(requestId) as Row[]).map(toRecord);
    return [...stored, ...this.pending.filter((d) => d.requestId === requestId)];
  }

  /** The most recent denial, if any. */
  lastDenial(): DecisionRecord | undefined {
    for (let i = this.pending.length - 1; i >= 0; i--) if (this.pending[i]!.decision !== 'Allow') return this.pending[i];
    const r = this.db.prepare("SELECT * FROM decisions WHERE decision != 'Allow' ORDER BY seq DESC LIMIT 1").get() as Row | undefined;
    return r === undefined ? undefined : toRecord(r);
  }

  /** How many decisions are stored. */
  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM decisions').get() as { n: number }).n + this.pending.length;
  }
}

/**
 * Opens the decision log on the plane's database.
 * @example
 * const log = createDecisionLog(db); log.lastDenial()?.explanation
 */
export function createDecisionLog(db: SqliteDatabase, options: { maxEntries?: number; flushDelayMs?: number } = {}): DecisionLog {
  return new DecisionLog(db, options.maxEntries, options.flushDelayMs);
}

/**
 * Reads decisions from a database another process writes (for `irsa why`): those of one request, or the last denial.
 * Returns an empty list when the plane has recorded nothing yet.
 * @example
 * readDecisions(openDatabaseReadOnly(path), { requestId: 'c0ffee…' })
 */
export function readDecisions(db: SqliteDatabase, query: { requestId?: string }): DecisionRecord[] {
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'decisions'").get();
  if (exists === undefined) return [];
  const rows =
    query.requestId !== undefined
      ? (db.prepare('SELECT * FROM decisions WHERE request_id = ? ORDER BY seq').all(query.requestId) as Row[])
      : (db.prepare("SELECT * FROM decisions WHERE decision != 'Allow' ORDER BY seq DESC LIMIT 1").all() as Row[]);
  return rows.map(toRecord);
}
