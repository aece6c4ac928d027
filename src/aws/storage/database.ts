/**
 * The local AWS plane's SQLite database (better-sqlite3): opened once per state directory in WAL mode with full
 * fsync, so an acknowledged write survives `kill -9`; each area (iam, sts, s3, decisions) owns its tables and brings
 * them up to date with {@link applyMigrations}.
 * @module
 */
import Database from 'better-sqlite3';

export type SqliteDatabase = Database.Database;

/**
 * Opens (creating if needed) the database file; `':memory:'` for tests.
 * `synchronous = FULL` makes every committed transaction durable before the call that wrote it answers.
 */
export function openDatabase(path: string): SqliteDatabase {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (area TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (area, version))');
  return db;
}

/**
 * Applies an area's migrations in order, each once, each in its own transaction with its version row.
 * `migrations[i]` is version `i + 1`; never edit or reorder a released step, only append.
 */
export function applyMigrations(db: SqliteDatabase, area: string, migrations: readonly string[]): void {
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations WHERE area = ?').all(area) as { version: number }[]).map((r) => r.version),
  );
  const record = db.prepare('INSERT INTO schema_migrations (area, version) VALUES (?, ?)');
  migrations.forEach((sql, index) => {
    const version = index + 1;
    if (applied.has(version)) return;
    db.transaction(() => {
      db.exec(sql);
      record.run(area, version);
    })();
  });
}

/**
 * Opens an existing database for reading only (another process, `irsa up`, may be writing it).
 * @example
 * const db = openDatabaseReadOnly('.irsa/aws/aws.sqlite');
 */
export function openDatabaseReadOnly(path: string): SqliteDatabase {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  return db;
}

const relaxed = new WeakMap<SqliteDatabase, { normal: Database.Statement; full: Database.Statement }>();

/**
 * Runs `write` with `synchronous = NORMAL`: in WAL mode its commit is in the WAL file (the OS's page cache) before
 * `write` returns, so it survives `kill -9` of this process, but it is not fsynced, so a power loss may drop it.
 * For writes whose loss on power failure is harmless (session rows: the client assumes the role again; decision
 * records; role-last-used bookkeeping). The pragma statements are prepared once per database.
 * @example
 * withoutFsync(db, () => insert.run(row));
 */
export function withoutFsync<T>(db: SqliteDatabase, write: () => T): T {
  let s = relaxed.get(db);
  if (s === undefined) {
    s = { normal: db.prepare('PRAGMA synchronous = NORMAL'), full: db.prepare('PRAGMA synchronous = FULL') };
    relaxed.set(db, s);
  }
  s.normal.run();
  try {
    return write();
  } finally {
    s.full.run();
  }
}
