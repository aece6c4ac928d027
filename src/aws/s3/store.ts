/**
 * Where S3 keeps things: bucket and object metadata in SQLite (area `s3`), object bytes in files under
 * `<root>/objects/` named by a random id, never by the key, so no key (`../x`, `/etc/passwd`, NUL, odd Unicode)
 * can reach the file system. A write goes to `<root>/tmp/`, is fsynced, renamed into place (directory fsynced),
 * and only then recorded in one SQLite transaction: an acknowledged object survives `kill -9`; a crash before the
 * commit leaves an unreferenced file that {@link ObjectStore.open} removes. Multipart uploads live in the same
 * tables' neighbours (`s3_uploads`, `s3_parts`); a part's bytes are a file in `objects/` like an object's.
 * @module
 */
import { randomBytes, randomUUID } from 'node:crypto';
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
  `CREATE TABLE s3_uploads (
     upload_id TEXT PRIMARY KEY,
     bucket TEXT NOT NULL REFERENCES s3_buckets (name),
     key TEXT NOT NULL,
     initiator TEXT NOT NULL,
     initiated INTEGER NOT NULL,
     headers TEXT NOT NULL,
     checksum_algorithm TEXT
   );
   CREATE INDEX s3_uploads_by_key ON s3_uploads (bucket, key, initiated);
   CREATE TABLE s3_parts (
     upload_id TEXT NOT NULL REFERENCES s3_uploads (upload_id),
     part_number INTEGER NOT NULL,
     blob TEXT NOT NULL UNIQUE,
     size INTEGER NOT NULL,
     etag TEXT NOT NULL,
     last_modified INTEGER NOT NULL,
     checksum_value TEXT,
     PRIMARY KEY (upload_id, part_number)
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

/** A multipart upload in progress. */
export interface UploadRecord {
  uploadId: string;
  bucket: string;
  key: string;
  /** The ARN of the principal that created it. */
  initiator: string;
  initiated: number;
  /** The object headers given at creation, for the completed object. */
  headers: Record<string, string>;
  checksumAlgorithm: string | undefined;
}

interface UploadRow {
  upload_id: string;
  bucket: string;
  key: string;
  initiator: string;
  initiated: number;
  headers: string;
  checksum_algorithm: string | null;
}

/** One uploaded part of a multipart upload. */
export interface PartRecord {
  partNumber: number;
  size: number;
  /** Quoted md5 of the part, as S3 sends it. */
  etag: string;
  lastModified: number;
  checksumValue: string | undefined;
  /** The file holding the bytes. */
  path: string;
}

interface PartRow {
  upload_id: string;
  part_number: number;
  blob: string;
  size: number;
  etag: string;
  last_modified: number;
  checksum_value: string | null;
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
      allBlobs: db.prepare('SELECT blob FROM s3_objects UNION ALL SELECT blob FROM s3_parts'),
      insertUpload: db.prepare(
        `INSERT INTO s3_uploads (upload_id, bucket, key, initiator, initiated, headers, checksum_algorithm)
         VALUES (@upload_id, @bucket, @key, @initiator, @initiated, @headers, @checksum_algorithm)`,
      ),
      getUpload: db.prepare('SELECT * FROM s3_uploads WHERE upload_id = ?'),
      deleteUpload: db.prepare('DELETE FROM s3_uploads WHERE upload_id = ?'),
      listUploads: db.prepare('SELECT * FROM s3_uploads WHERE bucket = ? ORDER BY key, initiated, upload_id'),
      getPart: db.prepare('SELECT * FROM s3_parts WHERE upload_id = ? AND part_number = ?'),
      upsertPart: db.prepare(
        `INSERT INTO s3_parts (upload_id, part_number, blob, size, etag, last_modified, checksum_value)
         VALUES (@upload_id, @part_number, @blob, @size, @etag, @last_modified, @checksum_value)
         ON CONFLICT (upload_id, part_number) DO UPDATE SET blob = excluded.blob, size = excluded.size, etag = excluded.etag,
           last_modified = excluded.last_modified, checksum_value = excluded.checksum_value`,
      ),
      listParts: db.prepare('SELECT * FROM s3_parts WHERE upload_id = ? ORDER BY part_number'),
      deleteParts: db.prepare('DELETE FROM s3_parts WHERE upload_id = ? RETURNING blob'),
      deleteBucketParts: db.prepare('DELETE FROM s3_parts WHERE upload_id IN (SELECT upload_id FROM s3_uploads WHERE bucket = ?) RETURNING blob'),
      deleteBucketUploads: db.prepare('DELETE FROM s3_uploads WHERE bucket = ?'),
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

  /**
   * Deletes a bucket without objects: `'deleted'`, `'missing'` or `'not-empty'`. Multipart uploads in progress do not
   * keep a general purpose bucket (only a directory bucket) from being deleted: they go with it, parts' files too.
   */
  deleteBucket(name: string): 'deleted' | 'missing' | 'not-empty' {
    const outcome = this.db.transaction(() => {
      if (this.stmt.getBucket.get(name) === undefined) return 'missing' as const;
      if (this.stmt.anyObject.get(name) !== undefined) return 'not-empty' as const;
      const blobs = (this.stmt.deleteBucketParts.all(name) as { blob: string }[]).map((r) => r.blob);
      this.stmt.deleteBucketUploads.run(name);
      this.stmt.deleteBucket.run(name);
      this.bucketGeneration++;
      return blobs;
    })();
    if (typeof outcome === 'string') return outcome;
    this.unlinkBlobs(outcome);
    return 'deleted';
  }

  /** Removes object or part files whose rows are gone (a file already gone is fine: open() sweeps leftovers). */
  private unlinkBlobs(blobs: readonly string[]): void {
    for (const blob of blobs) {
      try {
        unlinkSync(join(this.objectsDir, blob));
      } catch {
        // already gone
      }
    }
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
    const recorded = await this.placeAndRecord(pending, () => {
      if (this.stmt.getBucket.get(bucket) === undefined) return null;
      const old = this.stmt.getObject.get(bucket, key) as ObjectRow | undefined;
      this.stmt.upsertObject.run(row);
      return old?.blob;
    });
    return recorded ? this.toRecord(row) : undefined;
  }

  /**
   * Places a finished file (see {@link place}), then runs `record` in a transaction: it answers `null` when what the
   * file belongs to is gone (the file is dropped, `false`), else the blob the new row replaced, if any, whose file is
   * removed after the commit.
   */
  private async placeAndRecord(pending: PendingObject, record: () => string | null | undefined): Promise<boolean> {
    const finalPath = await this.place(pending);
    const replaced = this.db.transaction(record)();
    if (replaced === null) {
      await unlink(finalPath).catch(() => undefined);
      return false;
    }
    if (replaced !== undefined) this.unlinkBlobs([replaced]);
    return true;
  }

  /** Renames a finished pending file into `objects/` and fsyncs the directory: the bytes survive a crash. */
  private async place(pending: PendingObject): Promise<string> {
    const finalPath = join(this.objectsDir, pending.id);
    await rename(pending.tmpPath, finalPath);
    fsyncDir(this.objectsDir);
    return finalPath;
  }

  /** Records a new multipart upload; `undefined` when the bucket is gone. */
  createUpload(upload: Omit<UploadRecord, 'uploadId'>): UploadRecord | undefined {
    const record: UploadRecord = { ...upload, uploadId: randomBytes(36).toString('base64url') };
    return this.db.transaction(() => {
      if (this.stmt.getBucket.get(upload.bucket) === undefined) return undefined;
      this.stmt.insertUpload.run({
        upload_id: record.uploadId,
        bucket: record.bucket,
        key: record.key,
        initiator: record.initiator,
        initiated: record.initiated,
        headers: JSON.stringify(record.headers),
        checksum_algorithm: record.checksumAlgorithm ?? null,
      });
      return record;
    })();
  }

  /** The upload with this id, when it targets this bucket and key. */
  getUpload(bucket: string, key: string, uploadId: string): UploadRecord | undefined {
    const row = this.stmt.getUpload.get(uploadId) as UploadRow | undefined;
    return row === undefined || row.bucket !== bucket || row.key !== key ? undefined : toUpload(row);
  }

  /** A bucket's uploads in progress, by key, then by initiation. */
  *iterateUploads(bucket: string): Generator<UploadRecord> {
    for (const row of this.stmt.listUploads.iterate(bucket) as Iterable<UploadRow>) yield toUpload(row);
  }

  private toPart(row: PartRow): PartRecord {
    return { partNumber: row.part_number, size: row.size, etag: row.etag, lastModified: row.last_modified, checksumValue: row.checksum_value ?? undefined, path: join(this.objectsDir, row.blob) };
  }

  /** An upload's parts in part-number order. */
  listParts(uploadId: string): PartRecord[] {
    return (this.stmt.listParts.all(uploadId) as PartRow[]).map((row) => this.toPart(row));
  }

  /**
   * Makes a finished part durable and visible like {@link commit} an object, replacing a part of the same number;
   * `undefined` (and the file dropped) when the upload was completed or aborted meanwhile.
   */
  async commitPart(uploadId: string, partNumber: number, pending: PendingObject, meta: { size: number; etag: string; checksumValue: string | undefined }, now: number): Promise<PartRecord | undefined> {
    const row: PartRow = { upload_id: uploadId, part_number: partNumber, blob: pending.id, size: meta.size, etag: meta.etag, last_modified: now, checksum_value: meta.checksumValue ?? null };
    const recorded = await this.placeAndRecord(pending, () => {
      if (this.stmt.getUpload.get(uploadId) === undefined) return null;
      const old = this.stmt.getPart.get(uploadId, partNumber) as PartRow | undefined;
      this.stmt.upsertPart.run(row);
      return old?.blob;
    });
    return recorded ? this.toPart(row) : undefined;
  }

  /**
   * Ends an upload with its object: in one transaction the object row is written and the upload and all its parts'
   * rows removed, then the parts' files. `'no-upload'` when it was completed or aborted meanwhile, `'parts-changed'`
   * when one of `used` (the parts the object was built from) was replaced meanwhile; the object's file is dropped then.
   */
  async completeUpload(upload: UploadRecord, used: readonly PartRecord[], pending: PendingObject, meta: NewObject, now: number): Promise<ObjectRecord | 'no-upload' | 'parts-changed'> {
    const finalPath = await this.place(pending);
    const row: ObjectRow = {
      bucket: upload.bucket,
      key: upload.key,
      blob: pending.id,
      size: meta.size,
      etag: meta.etag,
      last_modified: now,
      headers: JSON.stringify(meta.headers),
      checksum_algorithm: meta.checksumAlgorithm ?? null,
      checksum_value: meta.checksumValue ?? null,
    };
    const outcome = this.db.transaction(() => {
      if (this.stmt.getUpload.get(upload.uploadId) === undefined) return 'no-upload' as const;
      const current = new Map((this.stmt.listParts.all(upload.uploadId) as PartRow[]).map((p) => [p.part_number, join(this.objectsDir, p.blob)]));
      if (used.some((p) => current.get(p.partNumber) !== p.path)) return 'parts-changed' as const;
      const blobs = (this.stmt.deleteParts.all(upload.uploadId) as { blob: string }[]).map((r) => r.blob);
      this.stmt.deleteUpload.run(upload.uploadId);
      const old = this.stmt.getObject.get(upload.bucket, upload.key) as ObjectRow | undefined;
      this.stmt.upsertObject.run(row);
      if (old !== undefined) blobs.push(old.blob);
      return blobs;
    })();
    if (typeof outcome === 'string') {
      await unlink(finalPath).catch(() => undefined);
      return outcome;
    }
    this.unlinkBlobs(outcome);
    return this.toRecord(row);
  }

  /** Removes an upload and its parts (rows, then files); `false` when there was none. */
  abortUpload(uploadId: string): boolean {
    const blobs = this.db.transaction(() => {
      if (this.stmt.getUpload.get(uploadId) === undefined) return undefined;
      const removed = (this.stmt.deleteParts.all(uploadId) as { blob: string }[]).map((r) => r.blob);
      this.stmt.deleteUpload.run(uploadId);
      return removed;
    })();
    if (blobs === undefined) return false;
    this.unlinkBlobs(blobs);
    return true;
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

function toUpload(row: UploadRow): UploadRecord {
  return {
    uploadId: row.upload_id,
    bucket: row.bucket,
    key: row.key,
    initiator: row.initiator,
    initiated: row.initiated,
    headers: JSON.parse(row.headers) as Record<string, string>,
    checksumAlgorithm: row.checksum_algorithm ?? undefined,
  };
}
