/**
 * Where S3 keeps things: bucket and object metadata in SQLite (area `s3`), object bytes in files under
 * `<root>/objects/` named by a random id, never by the key, so no key (`../x`, `/etc/passwd`, NUL, odd Unicode)
 * can reach the file system. A write goes to `<root>/tmp/`, is fsynced, renamed into place (directory fsynced),
 * and only then recorded in one SQLite transaction: an acknowledged object survives `kill -9`; a crash before the
 * commit leaves an unreferenced file that {@link ObjectStore.open} removes.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { open, rename, unlink, copyFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { applyMigrations, type SqliteDatabase } from '../storage/database.js';

const MIGRATIONS = [
  `CREATE TABLE s3_buckets (
     name TEXT PRIMARY KEY,
     region TEXT NOT NULL,
     owner_account TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     policy TEXT
   );
   CREATE TABLE s3_objects (
     bucket TEXT NOT NULL REFERENCES s3_buckets (name),
     key TEXT NOT NULL,
     blob TEXT NOT NULL UNIQUE,
     size INTEGER NOT NULL,
     etag TEXT NOT NULL,
     last_modified INTEGER NOT NULL,
     headers TEXT NOT NULL,
     checksum_algorithm TEXT,
     checksum_value TEXT,
     PRIMARY KEY (bucket, key)
   ) WITHOUT ROWID;`,
];

export interface BucketRecord {
  name: string;
  region: string;
  ownerAccount: string;
  createdAt: number;
  policy: string | undefined;
}

export interface ObjectRecord {
  bucket: string;
  key: string;
  size: number;
  /** Quoted, as S3 sends it. */
  etag: string;
  lastModified: number;
  /** Stored response headers: content-type, content-encoding, cache-control, …, x-amz-meta-*. */
  headers: Record<string, string>;
  checksumAlgorithm: string | undefined;
  checksumValue: string | undefined;
  /** The file holding the bytes. */
  path: string;
}

interface ObjectRow {
  bucket: string;
  key: string;
  blob: string;
  size: number;
  etag: string;
  last_modified: number;
  headers: string;
  checksum_algorithm: string | null;
  checksum_value: string | null;
}

export interface NewObject {
  size: number;
  etag: string;
  headers: Record<string, string>;
  checksumAlgorithm?: string | undefined;
  checksumValue?: string | undefined;
}

/** An object being written: append bytes, then {@link ObjectStore.commit} or {@link PendingObject.abort}. */
export class PendingObject {
  private handle: FileHandle | undefined;
  private closed = false;
  constructor(
    readonly id: string,
    readonly tmpPath: string,
  ) {}

  /** Opens the temp file; called by the store. */
  async openFile(): Promise<void> {
    this.handle = await open(this.tmpPath, 'wx', 0o600);
  }

  async append(chunk: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      const { bytesWritten } = await this.handle!.write(chunk, offset, chunk.length - offset);
      offset += bytesWritten;
    }
  }

  /** fsync and close; the bytes are on disk. */
  async finish(): Promise<void> {
    await this.handle!.sync();
    await this.handle!.close();
    this.closed = true;
  }

  /** Drops the temp file (idempotent). */
  async abort(): Promise<void> {
    if (!this.closed && this.handle !== undefined) {
      this.closed = true;
      await this.handle.close().catch(() => undefined);
    }
    await unlink(this.tmpPath).catch(() => undefined);
  }
}

function fsyncDir(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Buckets and objects; one per state directory. */
export class ObjectStore {
  private readonly objectsDir: string;
  private readonly tmpDir: string;
  private readonly stmt;
  /** Bumped on every bucket create or delete, so readers can cache bucket lists. */
  bucketGeneration = 0;

  private constructor(
    private readonly db: SqliteDatabase,
    root: string,
  ) {
    this.objectsDir = join(root, 'objects');
    this.tmpDir = join(root, 'tmp');
    this.stmt = {
      getBucket: db.prepare('SELECT name, region, owner_account, created_at, policy FROM s3_buckets WHERE name = ?'),
      listBuckets: db.prepare('SELECT name, region, owner_account, created_at, policy FROM s3_buckets ORDER BY name'),
      insertBucket: db.prepare('INSERT INTO s3_buckets (name, region, owner_account, created_at) VALUES (?, ?, ?, ?)'),
      deleteBucket: db.prepare('DELETE FROM s3_buckets WHERE name = ?'),
      setPolicy: db.prepare('UPDATE s3_buckets SET policy = ? WHERE name = ?'),
      anyObject: db.prepare('SELECT 1 FROM s3_objects WHERE bucket = ? LIMIT 1'),
      getObject: db.prepare('SELECT * FROM s3_objects WHERE bucket = ? AND key = ?'),
      upsertObject: db.prepare(
        `INSERT INTO s3_objects (bucket, key, blob, size, etag, last_modified, headers, checksum_algorithm, checksum_value)
         VALUES (@bucket, @key, @blob, @size, @etag, @last_modified, @headers, @checksum_algorithm, @checksum_value)
         ON CONFLICT (bucket, key) DO UPDATE SET blob = excluded.blob, size = excluded.size, etag = excluded.etag,
           last_modified = excluded.last_modified, headers = excluded.headers,
           checksum_algorithm = excluded.checksum_algorithm, checksum_value = excluded.checksum_value`,
      ),
      deleteObject: db.prepare('DELETE FROM s3_objects WHERE bucket = ? AND key = ? RETURNING blob'),
      listFrom: db.prepare('SELECT * FROM s3_objects WHERE bucket = ? AND key > ? ORDER BY key'),
      listFromInclusive: db.prepare('SELECT * FROM s3_objects WHERE bucket = ? AND key >= ? ORDER BY key'),
      allBlobs: db.prepare('SELECT blob FROM s3_objects'),
    };
  }

  /**
   * Opens the store under `root` (created if needed) on an open database, applying the `s3` migrations and removing
   * temp files and object files no row references (what a crash before a commit leaves behind).
   */
  static open(db: SqliteDatabase, root: string): ObjectStore {
    applyMigrations(db, 's3', MIGRATIONS);
    const store = new ObjectStore(db, root);
    mkdirSync(store.objectsDir, { recursive: true, mode: 0o700 });
    rmSync(store.tmpDir, { recursive: true, force: true });
    mkdirSync(store.tmpDir, { recursive: true, mode: 0o700 });
    const referenced = new Set((store.stmt.allBlobs.all() as { blob: string }[]).map((r) => r.blob));
    for (const name of readdirSync(store.objectsDir)) if (!referenced.has(name)) rmSync(join(store.objectsDir, name), { force: true });
    return store;
  }

  getBucket(name: string): BucketRecord | undefined {
    const row = this.stmt.getBucket.get(name) as { name: string; region: string; owner_account: string; created_at: number; policy: string | null } | undefined;
    return row === undefined ? undefined : { name: row.name, region: row.region, ownerAccount: row.owner_account, createdAt: row.created_at, policy: row.policy ?? undefined };
  }

  listBuckets(): BucketRecord[] {
    return (this.stmt.listBuckets.all() as { name: string; region: string; owner_account: string; created_at: number; policy: string | null }[]).map((row) => ({
      name: row.name,
      region: row.region,
      ownerAccount: row.owner_account,
      createdAt: row.created_at,
      policy: row.policy ?? undefined,
    }));
  }

  /** Creates a bucket; `false` when the name is taken. */
  createBucket(name: string, region: string, ownerAccount: string, now: number): boolean {
    return this.db.transaction(() => {
      if (this.stmt.getBucket.get(name) !== undefined) return false;
      this.stmt.insertBucket.run(name, region, ownerAccount, now);
      this.bucketGeneration++;
      return true;
    })();
  }

  /** Deletes an empty bucket: `'deleted'`, `'missing'` or `'not-empty'`. */
  deleteBucket(name: string): 'deleted' | 'missing' | 'not-empty' {
    return this.db.transaction(() => {
      if (this.stmt.getBucket.get(name) === undefined) return 'missing' as const;
      if (this.stmt.anyObject.get(name) !== undefined) return 'not-empty' as const;
      this.stmt.deleteBucket.run(name);
      this.bucketGeneration++;
      return 'deleted' as const;
    })();
  }

  setBucketPolicy(name: string, policy: string | undefined): void {
    this.stmt.setPolicy.run(policy ?? null, name);
  }

  private toRecord(row: ObjectRow): ObjectRecord {
    return {
      bucket: row.bucket,
      key: row.key,
      size: row.size,
      etag: row.etag,
      lastModified: row.last_modified,
      headers: JSON.parse(row.headers) as Record<string, string>,
      checksumAlgorithm: row.checksum_algorithm ?? undefined,
      checksumValue: row.checksum_value ?? undefined,
      path: join(this.objectsDir, row.blob),
    };
  }

  getObject(bucket: string, key: string): ObjectRecord | undefined {
    const row = this.stmt.getObject.get(bucket, key) as ObjectRow | undefined;
    return row === undefined ? undefined : this.toRecord(row);
  }

  /** Starts writing a new object's bytes to a temp file. */
  async begin(): Promise<PendingObject> {
    const id = randomUUID();
    const pending = new PendingObject(id, join(this.tmpDir, id));
    await pending.openFile();
    return pending;
  }

  /** A pending object holding a copy of an existing object's bytes. */
  async beginCopy(source: ObjectRecord): Promise<PendingObject> {
    const id = randomUUID();
    const pending = new PendingObject(id, join(this.tmpDir, id));
    await copyFile(source.path, pending.tmpPath);
    const fh = await open(pending.tmpPath, 'r+');
    await fh.sync();
    await fh.close();
    return pending;
  }

  /**
   * Makes a finished pending object durable and visible: rename into `objects/`, fsync the directory, then upsert the
   * row; the replaced object's file is removed after the commit. `false` (and the file dropped) when the bucket
   * was deleted meanwhile.
   */
  async commit(bucket: string, key: string, pending: PendingObject, meta: NewObject, now: number): Promise<ObjectRecord | undefined> {
    const finalPath = join(this.objectsDir, pending.id);
    await rename(pending.tmpPath, finalPath);
    fsyncDir(this.objectsDir);
    const row: ObjectRow = {
      bucket,
      key,
      blob: pending.id,
      size: meta.size,
      etag: meta.etag,
      last_modified: now,
      headers: JSON.stringify(meta.headers),
      checksum_algorithm: meta.checksumAlgorithm ?? null,
      checksum_value: meta.checksumValue ?? null,
    };
    const replaced = this.db.transaction(() => {
      if (this.stmt.getBucket.get(bucket) === undefined) return null;
      const old = this.stmt.getObject.get(bucket, key) as ObjectRow | undefined;
      this.stmt.upsertObject.run(row);
      return old?.blob;
    })();
    if (replaced === null) {
      await unlink(finalPath).catch(() => undefined);
      return undefined;
    }
    if (replaced !== undefined) await unlink(join(this.objectsDir, replaced)).catch(() => undefined);
    return this.toRecord(row);
  }

  /** Deletes an object's row, then its file; `false` when there was none. */
  deleteObject(bucket: string, key: string): boolean {
    const row = this.stmt.deleteObject.get(bucket, key) as { blob: string } | undefined;
    if (row === undefined) return false;
    try {
      unlinkSync(join(this.objectsDir, row.blob));
    } catch {
      // already gone: a reader may still hold it open, and open() sweeps leftovers
    }
    return true;
  }

  /**
   * Objects of a bucket in UTF-8 byte order (SQLite's BINARY collation on UTF-8 text) from `after` (exclusive, or
   * inclusive with `inclusive`), lazily.
   */
  *iterate(bucket: string, after: string, inclusive = false): Generator<ObjectRecord> {
    const stmt = inclusive ? this.stmt.listFromInclusive : this.stmt.listFrom;
    for (const row of stmt.iterate(bucket, after) as Iterable<ObjectRow>) yield this.toRecord(row);
  }
}
