/**
 * The decision log: every authorization decision with its explanation, by request id, bounded (the newest
 * {@link DecisionLog.maxEntries} are kept) in SQLite, so `irsa why` in another process can print it.
 *
 * A row of the log is only the request id, the time and a reference to the decision's text (service, principal,
 * action, resource, decision, summary and explanation), which is stored once and shared by every request decided the
 * same way: a client repeating a call makes one text per second, not one per request (the text is most of the
 * bytes, and the log is written on every request). The request's own line (`request ID at TIME`) and the summary's
 * `(irsa why ID)` are added back when a decision is read. Writes are batched (one transaction per burst) because a
 * decision is a record for people, not an acknowledged write.
 * @module
 */
import { applyMigrations, withoutFsync, type SqliteDatabase } from './storage/database.js';
import { awsTimestamp } from './protocol/xml.js';
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
  // Texts stored once and referenced; the rows written before keep theirs (the request line and the summary's
  // `(irsa why ID)` come off, since they are added back when read).
  `CREATE TABLE decision_texts (
     id INTEGER PRIMARY KEY, service TEXT NOT NULL, principal TEXT NOT NULL, action TEXT NOT NULL, resource TEXT NOT NULL,
     decision TEXT NOT NULL, summary TEXT NOT NULL, explanation TEXT NOT NULL);
   CREATE TABLE decision_log (seq INTEGER PRIMARY KEY, request_id TEXT NOT NULL, time INTEGER NOT NULL, text_id INTEGER NOT NULL);
   INSERT INTO decision_texts
     SELECT seq, service, principal, action, resource, decision,
            replace(summary, ' (irsa why ' || request_id || ')', ''),
            CASE WHEN explanation LIKE 'request %' AND instr(explanation, char(10)) > 0
                 THEN substr(explanation, instr(explanation, char(10)) + 1) ELSE explanation END
     FROM decisions;
   INSERT INTO decision_log SELECT seq, request_id, time, seq FROM decisions;
   DROP TABLE decisions`,
];

/** Rows written by one INSERT statement when a batch is flushed (one native call instead of one per decision). */
const ROWS_PER_INSERT = 64;
const SELECT_RECORDS = `SELECT l.request_id, l.time, t.service, t.principal, t.action, t.resource, t.decision, t.summary, t.explanation
  FROM decision_log l JOIN decision_texts t ON t.id = l.text_id`;
const BY_REQUEST = `${SELECT_RECORDS} WHERE l.request_id = ? ORDER BY l.seq`;
const LAST_DENIAL = `${SELECT_RECORDS} WHERE t.decision != 'Allow' ORDER BY l.seq DESC LIMIT 1`;

/**
 * What a decision says apart from the request it was made for. Build one per distinct decision and pass the same
 * object again for requests decided the same way: it is then stored once.
 */
export interface DecisionText {
  /** `iam`, `sts`, `s3`. */
  service: string;
  /** The caller's ARN (or `anonymous`). */
  principal: string;
  action: string;
  resource: string;
  decision: Decision;
  /** One line, without the request's `(irsa why ID)`: see {@link summaryLine}. */
  summary: string;
  /** The full explanation (policies in scope, each statement's outcome, failing conditions with their values), without the request line. */
  explanation: string;
}

/** One recorded decision, as read back. */
export interface DecisionRecord extends DecisionText {
  requestId: string;
  time: Date;
}

/** The `x-irsa-explain` line of a decision: its summary and how to ask for the rest. */
export function summaryLine(summary: string, requestId: string): string {
  return `${summary} (irsa why ${requestId})`;
}

/** A row as the SELECTs return it: the log's columns and its text's. */
interface Row extends DecisionText {
  request_id: string;
  time: number;
}

function toRecord(r: Row): DecisionRecord {
  const time = new Date(r.time);
  return {
    requestId: r.request_id,
    time,
    service: r.service,
    principal: r.principal,
    action: r.action,
    resource: r.resource,
    decision: r.decision,
    summary: summaryLine(r.summary, r.request_id),
    explanation: `request ${r.request_id} at ${awsTimestamp(time)}\n${r.explanation}`,
  };
}

/**
 * Decisions not yet written, as three parallel columns rather than an object per decision: they live until the next
 * flush, long enough to outlast a young-generation collection, so each object a decision added would be copied and
 * promoted (the times stay unboxed numbers in their array).
 */
class Pending {
  readonly requestIds: string[] = [];
  readonly times: number[] = [];
  readonly texts: DecisionText[] = [];

  get length(): number {
    return this.requestIds.length;
  }

  push(requestId: string, time: number, text: DecisionText): void {
    this.requestIds.push(requestId);
    this.times.push(time);
    this.texts.push(text);
  }

  record(i: number): DecisionRecord {
    return toRecord({ request_id: this.requestIds[i]!, time: this.times[i]!, ...this.texts[i]! });
  }
}

/** The decision log. Build with {@link createDecisionLog}. */
export class DecisionLog {
  private pending = new Pending();
  private timer: NodeJS.Timeout | null = null;
  private timerIsShort = false;
  /** Stored texts by object and by content, until the next sweep of unreferenced texts. */
  private textIds = new Map<DecisionText, number>();
  private contentIds = new Map<string, number>();
  private recordedSinceSweep = 0;
  private readonly insertText;
  private readonly insertRow;
  private readonly insertRows;
  private readonly trim;
  private readonly sweep;

  constructor(
    private readonly db: SqliteDatabase,
    readonly maxEntries = 10000,
    /** A denial is written within this time (`irsa why` right after a failed call finds it). */
    private readonly flushDelayMs = 50,
    /** Allows are written within this time, in bigger batches. */
    private readonly allowFlushDelayMs = 1000,
  ) {
    applyMigrations(db, 'decisions', MIGRATIONS);
    this.insertText = db.prepare('INSERT INTO decision_texts (service, principal, action, resource, decision, summary, explanation) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.insertRow = db.prepare('INSERT INTO decision_log (request_id, time, text_id) VALUES (?, ?, ?)');
    this.insertRows = db.prepare(`INSERT INTO decision_log (request_id, time, text_id) VALUES ${Array(ROWS_PER_INSERT).fill('(?, ?, ?)').join(', ')}`);
    this.trim = db.prepare('DELETE FROM decision_log WHERE seq <= (SELECT max(seq) FROM decision_log) - ?');
    this.sweep = db.prepare('DELETE FROM decision_texts WHERE id NOT IN (SELECT text_id FROM decision_log)');
  }

  /**
   * Records a decision (a denial written within `flushDelayMs`, an allow within `allowFlushDelayMs`, or at
   * {@link flush}). Pass the same `text` object for requests decided the same way.
   */
  record(requestId: string, time: Date, text: DecisionText): void {
    this.pending.push(requestId, time.getTime(), text);
    if (this.pending.length >= 1024) return this.flush();
    const short = text.decision !== 'Allow';
    if (this.timer !== null && (this.timerIsShort || !short)) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timerIsShort = short;
    this.timer = setTimeout(() => this.flush(), short ? this.flushDelayMs : this.allowFlushDelayMs);
    this.timer.unref();
  }

  private textId(t: DecisionText): number {
    let id = this.textIds.get(t);
    if (id === undefined) {
      // a text made again with the same words (STS explains each call afresh) is stored once too
      const content = `${t.service}\u0000${t.principal}\u0000${t.action}\u0000${t.resource}\u0000${t.decision}\u0000${t.summary}\u0000${t.explanation}`;
      id = this.contentIds.get(content);
      if (id === undefined) {
        id = Number(this.insertText.run(t.service, t.principal, t.action, t.resource, t.decision, t.summary, t.explanation).lastInsertRowid);
        this.contentIds.set(content, id);
      }
      this.textIds.set(t, id);
    }
    return id;
  }

  /** Writes what is pending in one transaction and trims the log to its bound. */
  flush(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = new Pending();
    const n = batch.length;
    const { requestIds, times, texts } = batch;
    this.recordedSinceSweep += n;
    // A decision is a record for people, not an acknowledged write: no fsync for it (the rest of the plane keeps FULL).
    withoutFsync(this.db, () =>
      this.db.transaction(() => {
        let i = 0;
        const values: unknown[] = new Array(ROWS_PER_INSERT * 3);
        for (; i + ROWS_PER_INSERT <= n; i += ROWS_PER_INSERT) {
          for (let j = 0; j < ROWS_PER_INSERT; j++) {
            values[3 * j] = requestIds[i + j];
            values[3 * j + 1] = times[i + j];
            values[3 * j + 2] = this.textId(texts[i + j]!);
          }
          this.insertRows.run(values);
        }
        for (; i < n; i++) this.insertRow.run(requestIds[i], times[i], this.textId(texts[i]!));
        this.trim.run(this.maxEntries);
        // Texts no row refers to any more go once per bound's worth of decisions (a scan of the log).
        if (this.recordedSinceSweep >= this.maxEntries) {
          this.recordedSinceSweep = 0;
          this.sweep.run();
          this.textIds = new Map();
          this.contentIds = new Map();
        }
      })(),
    );
  }

  /** The decisions of one request (a request may need several, e.g. PutObject with an ACL). */
  forRequest(requestId: string): DecisionRecord[] {
    const stored = (this.db.prepare(BY_REQUEST).all(requestId) as Row[]).map(toRecord);
    const pending = this.pending;
    for (let i = 0; i < pending.length; i++) if (pending.requestIds[i] === requestId) stored.push(pending.record(i));
    return stored;
  }

  /** The most recent denial, if any. */
  lastDenial(): DecisionRecord | undefined {
    const pending = this.pending;
    for (let i = pending.length - 1; i >= 0; i--) if (pending.texts[i]!.decision !== 'Allow') return pending.record(i);
    const r = this.db.prepare(LAST_DENIAL).get() as Row | undefined;
    return r === undefined ? undefined : toRecord(r);
  }

  /** How many decisions are stored or pending. */
  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM decision_log').get() as { n: number }).n + this.pending.length;
  }

  /** How many distinct texts are stored (the rows share them). */
  textCount(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM decision_texts').get() as { n: number }).n;
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
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'decision_log'").get();
  if (exists === undefined) return [];
  const rows = query.requestId !== undefined ? (db.prepare(BY_REQUEST).all(query.requestId) as Row[]) : (db.prepare(LAST_DENIAL).all() as Row[]);
  return rows.map(toRecord);
}
