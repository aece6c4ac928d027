/**
 * kill -9 while uploading: every object whose PUT was acknowledged is there, byte for byte, after a restart on the
 * same state directory; no temp file survives. The same for acknowledged multipart parts and completed uploads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { randomBytes, randomInt } from 'node:crypto';
import {
  S3Client,
  CreateBucketCommand,
  PutObjectCommand,
  GetObjectCommand,
  DeleteObjectCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  CompleteMultipartUploadCommand,
  ListPartsCommand,
} from '@aws-sdk/client-s3';

const child = join(import.meta.dirname, 'durability-child.ts');

function start(dir: string): Promise<{ proc: ChildProcess; s3: S3Client }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (!out.includes('\n')) return;
      const info = JSON.parse(out.slice(0, out.indexOf('\n'))) as { port: number; accessKeyId: string; secretAccessKey: string };
      const s3 = new S3Client({ region: 'us-east-1', endpoint: `http://127.0.0.1:${info.port}`, forcePathStyle: true, credentials: info, maxAttempts: 1 });
      resolve({ proc, s3 });
    });
    proc.once('exit', (code) => reject(new Error(`plane exited ${code}`)));
  });
}

test('acknowledged buckets and objects survive kill -9 at random points', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'irsa-s3-kill-'));
  let current: ChildProcess | undefined;
  t.after(() => {
    current?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const acknowledged = new Map<string, Buffer | null>();
  for (let round = 0; round < 3; round++) {
    const { proc, s3 } = await start(dir);
    current = proc;
    if (round === 0) await s3.send(new CreateBucketCommand({ Bucket: 'durable' }));
    // kill after a random number of acknowledged writes, while the next one is in flight (independent of machine load)
    const killAt = randomInt(4, 15);
    const exited = new Promise((r) => proc.once('exit', r));
    let n = 0;
    try {
      for (;;) {
        const key = `r${round}/k${n++}`;
        const body = randomBytes(randomInt(0, 200_000));
        const put = s3.send(new PutObjectCommand({ Bucket: 'durable', Key: key, Body: body }));
        if (n === killAt) setTimeout(() => proc.kill('SIGKILL'), randomInt(0, 25));
        await put;
        acknowledged.set(key, body);
        if (n % 5 === 0) {
          const victim = [...acknowledged.keys()][randomInt(0, acknowledged.size)]!;
          // while the delete is in flight the key's state is unknown: check it only once the delete is acknowledged
          acknowledged.delete(victim);
          await s3.send(new DeleteObjectCommand({ Bucket: 'durable', Key: victim }));
          acknowledged.set(victim, null);
        }
      }
    } catch {
      // the connection died with the process: the request in flight was not acknowledged
    }
    await exited;
    s3.destroy();
  }
  const { proc, s3 } = await start(dir);
  current = proc;
  assert.ok(acknowledged.size >= 9, `only ${acknowledged.size} writes were acknowledged before the kills`);
  for (const [key, body] of acknowledged) {
    if (body === null) {
      await assert.rejects(s3.send(new GetObjectCommand({ Bucket: 'durable', Key: key })), (err: Error) => err.name === 'NoSuchKey', key);
      continue;
    }
    const got = await s3.send(new GetObjectCommand({ Bucket: 'durable', Key: key }));
    assert.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(body), key);
  }
  assert.deepEqual(readdirSync(join(dir, 'objects', 's3', 'tmp')), []);
  s3.destroy();
  proc.kill('SIGKILL');
});

test('acknowledged parts and completed multipart objects survive kill -9 during part uploads', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'irsa-s3-kill-mp-'));
  let current: ChildProcess | undefined;
  t.after(() => {
    current?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  let { proc, s3 } = await start(dir);
  current = proc;
  await s3.send(new CreateBucketCommand({ Bucket: 'durable' }));
  const done = [randomBytes(5 * 1024 * 1024), randomBytes(1000)];
  const first = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'durable', Key: 'done' }));
  const etags = [];
  for (const [i, Body] of done.entries()) etags.push((await s3.send(new UploadPartCommand({ Bucket: 'durable', Key: 'done', UploadId: first.UploadId, PartNumber: i + 1, Body }))).ETag);
  await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'durable', Key: 'done', UploadId: first.UploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) } }));
  const open = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'durable', Key: 'open' }));
  const acknowledged = new Map<number, string>();
  const killAt = randomInt(2, 8);
  const exited = new Promise((r) => proc.once('exit', r));
  try {
    for (let n = 1; ; n++) {
      const part = s3.send(new UploadPartCommand({ Bucket: 'durable', Key: 'open', UploadId: open.UploadId, PartNumber: n, Body: randomBytes(randomInt(1, 300_000)) }));
      if (n === killAt) setTimeout(() => proc.kill('SIGKILL'), randomInt(0, 25));
      acknowledged.set(n, (await part).ETag!);
    }
  } catch {
    // the part in flight when the process died was not acknowledged
  }
  await exited;
  s3.destroy();
  ({ proc, s3 } = await start(dir));
  current = proc;
  assert.ok(acknowledged.size >= 1);
  const got = await s3.send(new GetObjectCommand({ Bucket: 'durable', Key: 'done' }));
  assert.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.concat(done)));
  assert.match(got.ETag!, /-2"$/);
  const parts = await s3.send(new ListPartsCommand({ Bucket: 'durable', Key: 'open', UploadId: open.UploadId }));
  const listed = new Map((parts.Parts ?? []).map((p) => [p.PartNumber!, p.ETag!]));
  for (const [n, etag] of acknowledged) assert.equal(listed.get(n), etag, `part ${n}`);
  assert.deepEqual(readdirSync(join(dir, 'objects', 's3', 'tmp')), []);
  s3.destroy();
  proc.kill('SIGKILL');
});
