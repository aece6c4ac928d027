/** Shared set-up for the S3 tests: a store in a temp directory and requests built as the server builds them. */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import type { TestContext } from 'node:test';
import { openDatabase, type SqliteDatabase } from '../../../src/aws/storage/database.js';
import { ObjectStore } from '../../../src/aws/s3/store.js';
import { S3Service, type S3Authorizer, type S3Caller, type S3Request, type S3Response } from '../../../src/aws/s3/service.js';

export const CALLER: S3Caller = { accountId: '111122223333', arn: 'arn:aws:iam::111122223333:user/admin', region: 'us-east-1' };

export interface Fixture {
  dir: string;
  db: SqliteDatabase;
  store: ObjectStore;
  s3: S3Service;
  call(method: string, path: string, init?: { headers?: Record<string, string>; body?: Buffer | string | Readable; caller?: S3Caller; host?: string }): Promise<S3Response & { text: string; bytes: Buffer }>;
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function bodyBytes(body: S3Response['body']): Promise<Buffer> {
  if (body === undefined) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body);
  if (Buffer.isBuffer(body)) return body;
  const parts: Buffer[] = [];
  for await (const c of body) parts.push(Buffer.from(c as Buffer));
  return Buffer.concat(parts);
}

export function makeFixture(t: TestContext, options: { authorize?: S3Authorizer; idleTimeoutMs?: number; maxObjectBytes?: number; now?: () => number } = {}): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'irsa-s3-'));
  const db = openDatabase(join(dir, 'aws.sqlite'));
  const store = ObjectStore.open(db, join(dir, 's3'));
  const s3 = new S3Service({ store, authorize: options.authorize ?? (() => ({ allowed: true })), idleTimeoutMs: options.idleTimeoutMs, maxObjectBytes: options.maxObjectBytes, now: options.now, onInternalError: (err) => { throw err; } });
  t.after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  let n = 0;
  return {
    dir,
    db,
    store,
    s3,
    async call(method, target, init = {}) {
      const q = target.indexOf('?');
      const rawPath = q < 0 ? target : target.slice(0, q);
      const query = new URLSearchParams(q < 0 ? '' : target.slice(q + 1));
      const body = init.body instanceof Readable ? init.body : Readable.from(init.body === undefined ? [] : [Buffer.from(init.body)]);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(init.headers ?? {})) headers[k.toLowerCase()] = v;
      if (!(init.body instanceof Readable) && headers['content-length'] === undefined) headers['content-length'] = String(init.body === undefined ? 0 : Buffer.byteLength(init.body));
      const req: S3Request = { method, host: init.host ?? '127.0.0.1:4566', rawPath, query, headers, body };
      const res = await s3.handle(req, init.caller ?? CALLER, `REQ${++n}`);
      const bytes = await bodyBytes(res.body);
      return { ...res, bytes, text: bytes.toString('utf8') };
    },
  };
}

/** The `<Code>` of an error document. */
export function errorCode(text: string): string | undefined {
  return /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
}
