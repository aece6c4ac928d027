/**
 * S3 through the plane's HTTP listener, driven by real clients: @aws-sdk/client-s3 (path style, virtual-hosted style,
 * header checksums and aws-chunked trailer streams), boto3 and the AWS CLI (v1 from python3, v2 at /usr/bin/aws),
 * plus hand-signed requests for what no installed client sends (signed aws-chunked bodies).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Agent, request as httpRequest } from 'node:http';
import { Readable } from 'node:stream';
import { spawn } from 'node:child_process';
import { createHash, createHmac, randomBytes, type Hash, type Hmac } from 'node:crypto';
import {
  S3Client,
  CreateBucketCommand,
  ListBucketsCommand,
  PutObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  CopyObjectCommand,
  DeleteObjectsCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  HeadBucketCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  CompleteMultipartUploadCommand,
  AbortMultipartUploadCommand,
  ListPartsCommand,
  ListMultipartUploadsCommand,
} from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { SignatureV4 } from '@smithy/signature-v4';
import { createPlane, ensureAdminUser, openDatabase, startAwsServer, type AwsServer, type SqliteDatabase } from '../../../src/aws/index.js';
import { createS3Service } from '../../../src/aws/s3/index.js';
import { ChunkSignatureChain } from '../../../src/aws/s3/chunked.js';
import { deriveSigningKey } from '../../../src/aws/sigv4/signing-key.js';
import { clientUnavailable, skipOrFail } from '../../outside-client.js';

let dir: string;
let db: SqliteDatabase;
let server: AwsServer;
let creds: { accessKeyId: string; secretAccessKey: string };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'irsa-s3-e2e-'));
  db = openDatabase(join(dir, 'aws.sqlite'));
  const plane = createPlane({ db, accountId: '111122223333', dataDir: join(dir, 'objects'), restService: createS3Service() });
  const admin = ensureAdminUser(plane);
  creds = { accessKeyId: admin.accessKeyId, secretAccessKey: admin.secretAccessKey };
  server = await startAwsServer({ plane, host: '127.0.0.1', port: 0 });
});

after(async () => {
  await server?.close();
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

function client(options: { virtualHost?: boolean; secret?: string } = {}): S3Client {
  const lookupLocal = new Agent({
    // bucket.localhost must reach the test server whatever the resolver does with *.localhost
    lookup: ((_host: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void) =>
      opts.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4)) as never,
  });
  return new S3Client({
    region: 'us-east-1',
    endpoint: options.virtualHost ? `http://localhost:${server.port}` : server.url,
    forcePathStyle: !options.virtualHost,
    credentials: { accessKeyId: creds.accessKeyId, secretAccessKey: options.secret ?? creds.secretAccessKey },
    requestHandler: new NodeHttpHandler({ httpAgent: lookupLocal }),
    maxAttempts: 1,
  });
}

test('@aws-sdk/client-s3, path style: buckets, objects, checksums, ranges, listing, copy, batch delete, errors', async () => {
  const s3 = client();
  await s3.send(new CreateBucketCommand({ Bucket: 'js-path' }));
  const buckets = await s3.send(new ListBucketsCommand({}));
  assert.ok(buckets.Buckets?.some((b) => b.Name === 'js-path' && b.CreationDate instanceof Date));
  await s3.send(new HeadBucketCommand({ Bucket: 'js-path' }));
  const put = await s3.send(new PutObjectCommand({ Bucket: 'js-path', Key: 'dir/hello.txt', Body: 'hello world', ContentType: 'text/plain', Metadata: { team: 'a' } }));
  assert.equal(put.ETag, '"5eb63bbbe01eeed093cb22bb8f5acdc3"');
  assert.ok(put.ChecksumCRC32, 'the SDK sent its default CRC32 and the server echoed it');
  const got = await s3.send(new GetObjectCommand({ Bucket: 'js-path', Key: 'dir/hello.txt', ChecksumMode: 'ENABLED' }));
  assert.equal(await got.Body!.transformToString(), 'hello world');
  assert.deepEqual([got.ContentType, got.Metadata?.team, got.ContentLength], ['text/plain', 'a', 11]);
  assert.ok(got.LastModified instanceof Date);
  const range = await s3.send(new GetObjectCommand({ Bucket: 'js-path', Key: 'dir/hello.txt', Range: 'bytes=6-' }));
  assert.deepEqual([await range.Body!.transformToString(), range.ContentRange], ['world', 'bytes 6-10/11']);
  const head = await s3.send(new HeadObjectCommand({ Bucket: 'js-path', Key: 'dir/hello.txt' }));
  assert.equal(head.ContentLength, 11);
  for (const k of ['dir/a', 'dir/sub/b', 'top']) await s3.send(new PutObjectCommand({ Bucket: 'js-path', Key: k, Body: k }));
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'js-path', Prefix: 'dir/', Delimiter: '/' }));
  assert.deepEqual(listed.Contents?.map((c) => c.Key), ['dir/a', 'dir/hello.txt']);
  assert.deepEqual(listed.CommonPrefixes?.map((c) => c.Prefix), ['dir/sub/']);
  const page = await s3.send(new ListObjectsV2Command({ Bucket: 'js-path', MaxKeys: 2 }));
  assert.equal(page.IsTruncated, true);
  const rest = await s3.send(new ListObjectsV2Command({ Bucket: 'js-path', ContinuationToken: page.NextContinuationToken }));
  assert.deepEqual([...page.Contents!, ...rest.Contents!].map((c) => c.Key), ['dir/a', 'dir/hello.txt', 'dir/sub/b', 'top']);
  const copy = await s3.send(new CopyObjectCommand({ Bucket: 'js-path', Key: 'copied', CopySource: 'js-path/dir/hello.txt' }));
  assert.equal(copy.CopyObjectResult?.ETag, put.ETag);
  await assert.rejects(s3.send(new GetObjectCommand({ Bucket: 'js-path', Key: 'missing' })), (err: Error) => err.name === 'NoSuchKey');
  await assert.rejects(s3.send(new DeleteBucketCommand({ Bucket: 'js-path' })), (err: Error) => err.name === 'BucketNotEmpty');
  await assert.rejects(s3.send(new CreateBucketCommand({ Bucket: 'Bad_Name' })), (err: Error) => err.name === 'InvalidBucketName');
  const del = await s3.send(new DeleteObjectsCommand({ Bucket: 'js-path', Delete: { Objects: ['dir/a', 'dir/sub/b', 'top', 'copied', 'dir/hello.txt'].map((Key) => ({ Key })) } }));
  assert.equal(del.Deleted?.length, 5);
  await s3.send(new DeleteBucketCommand({ Bucket: 'js-path' }));
  await assert.rejects(s3.send(new HeadBucketCommand({ Bucket: 'js-path' })), (err: Error) => err.name === 'NotFound');
});

test('@aws-sdk/client-s3: a stream body goes as aws-chunked with a CRC32 trailer (STREAMING-UNSIGNED-PAYLOAD-TRAILER)', async () => {
  const s3 = client();
  await s3.send(new CreateBucketCommand({ Bucket: 'js-stream' }));
  const data = randomBytes(300_000);
  const seen: string[] = [];
  s3.middlewareStack.add((next) => async (args) => {
    const headers = (args.request as { headers: Record<string, string> }).headers;
    seen.push(headers['x-amz-content-sha256'] ?? '', headers['x-amz-trailer'] ?? '');
    return next(args);
  }, { step: 'finalizeRequest', name: 'seeHeaders' });
  await s3.send(new PutObjectCommand({ Bucket: 'js-stream', Key: 'blob', Body: Readable.from([data.subarray(0, 100_000), data.subarray(100_000)]), ContentLength: data.length }));
  assert.deepEqual(seen, ['STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'x-amz-checksum-crc32']);
  const got = await s3.send(new GetObjectCommand({ Bucket: 'js-stream', Key: 'blob', ChecksumMode: 'ENABLED' }));
  assert.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(data));
  assert.ok(got.ChecksumCRC32);
});

test('@aws-sdk/client-s3, virtual-hosted style through a custom endpoint (bucket.localhost)', async () => {
  const s3 = client({ virtualHost: true });
  const hosts: string[] = [];
  s3.middlewareStack.add((next) => async (args) => {
    hosts.push((args.request as { hostname: string }).hostname);
    return next(args);
  }, { step: 'finalizeRequest', name: 'seeHost' });
  await s3.send(new CreateBucketCommand({ Bucket: 'js-vhost' }));
  await s3.send(new PutObjectCommand({ Bucket: 'js-vhost', Key: 'k', Body: 'v' }));
  const got = await s3.send(new GetObjectCommand({ Bucket: 'js-vhost', Key: 'k' }));
  assert.equal(await got.Body!.transformToString(), 'v');
  assert.ok(hosts.every((h) => h === 'js-vhost.localhost'), hosts.join(','));
});

test('a wrong secret is SignatureDoesNotMatch with S3\'s debugging elements', async () => {
  const s3 = client({ secret: 'wrong' });
  await assert.rejects(s3.send(new ListBucketsCommand({})), (err: Error & { $response?: unknown }) => err.name === 'SignatureDoesNotMatch');
  const res = await fetch(`${server.url}/`, { headers: { authorization: `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/20990101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=${'0'.repeat(64)}`, 'x-amz-date': '20990101T000000Z', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
  const text = await res.text();
  assert.equal(res.status, 403);
  assert.match(text, /<Code>RequestTimeTooSkewed<\/Code>.*<MaxAllowedSkewMilliseconds>900000<\/MaxAllowedSkewMilliseconds>/s);
  const anon = await fetch(`${server.url}/`);
  assert.equal(anon.status, 403);
  assert.match(await anon.text(), /<Code>AccessDenied<\/Code>/);
});

/** node:crypto as the smithy signer's hash constructor (HMAC when given a secret). */
class Sha256 {
  private readonly h: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', typeof secret === 'string' ? secret : Buffer.from(secret instanceof ArrayBuffer ? new Uint8Array(secret) : new Uint8Array(secret.buffer, secret.byteOffset, secret.byteLength)));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.h.update(typeof data === 'string' ? data : data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  async digest(): Promise<Uint8Array> {
    return this.h.digest();
  }
  reset(): void {}
}

/** Sends a signed aws-chunked PUT (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) as the Java SDK does. */
async function signedChunkedPut(path: string, chunks: Buffer[], tamper?: (framed: Buffer) => Buffer): Promise<{ status: number; text: string }> {
  const now = new Date();
  const signer = new SignatureV4({ service: 's3', region: 'us-east-1', credentials: creds, sha256: Sha256, uriEscapePath: false });
  const decoded = chunks.reduce((n, c) => n + c.length, 0);
  const host = `127.0.0.1:${server.port}`;
  const signed = await signer.sign(
    {
      method: 'PUT',
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: server.port,
      path,
      headers: { host, 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': String(decoded) },
    },
    { signingDate: now },
  );
  const seed = /Signature=([0-9a-f]{64})/.exec(signed.headers['authorization']!)![1]!;
  const amzDate = signed.headers['x-amz-date']!;
  const chain = new ChunkSignatureChain({ signingKey: deriveSigningKey(creds.secretAccessKey, amzDate.slice(0, 8), 'us-east-1', 's3'), amzDate, scope: `${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request`, seedSignature: seed });
  const parts: Buffer[] = [];
  for (const chunk of [...chunks, Buffer.alloc(0)]) {
    const sig = chain.expectedChunk(createHash('sha256').update(chunk).digest('hex'));
    chain.accept(sig, sig);
    parts.push(Buffer.from(`${chunk.length.toString(16)};chunk-signature=${sig}\r\n`), chunk, Buffer.from('\r\n'));
  }
  let framed: Buffer = Buffer.concat(parts);
  if (tamper) framed = tamper(framed);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: server.port, method: 'PUT', path, headers: { ...signed.headers, 'content-length': String(framed.length) } }, (res) => {
      const out: Buffer[] = [];
      res.on('data', (c: Buffer) => out.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(out).toString() }));
    });
    req.on('error', reject);
    req.end(framed);
  });
}

test('signed aws-chunked upload: every chunk signature is verified from the request\'s seed signature', async () => {
  const s3 = client();
  await s3.send(new CreateBucketCommand({ Bucket: 'signed-chunks' }));
  const chunks = [Buffer.alloc(65536, 'a'), Buffer.alloc(1024, 'b')];
  let res = await signedChunkedPut('/signed-chunks/obj', chunks);
  assert.equal(res.status, 200, res.text);
  const got = await s3.send(new GetObjectCommand({ Bucket: 'signed-chunks', Key: 'obj' }));
  assert.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.concat(chunks)));
  res = await signedChunkedPut('/signed-chunks/tampered', chunks, (framed) => {
    const copy = Buffer.from(framed);
    copy[framed.length - 200] = 0x7a;
    return copy;
  });
  assert.equal(res.status, 403);
  assert.match(res.text, /<Code>SignatureDoesNotMatch<\/Code>/);
  await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: 'signed-chunks', Key: 'tampered' })), (err: Error) => err.name === 'NotFound');
});

/** Runs a client without blocking this process (its server answers from the same event loop). */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

function clientEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: dir,
    AWS_ACCESS_KEY_ID: creds.accessKeyId,
    AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ENDPOINT_URL: server.url,
    AWS_CONFIG_FILE: join(dir, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
    AWS_MAX_ATTEMPTS: '1',
  };
}

test('boto3 1.43: put/get/list, upload_fileobj and download_file', async (t) => {
  if (skipOrFail(t, clientUnavailable('python3', ['-c', 'import boto3, awscli']))) return;
  const file = join(dir, 'upload.bin');
  writeFileSync(file, randomBytes(3 * 1024 * 1024));
  const script = `
import boto3, io, sys
from boto3.s3.transfer import TransferConfig
s3 = boto3.client('s3')
s3.create_bucket(Bucket='py-bucket')
r = s3.put_object(Bucket='py-bucket', Key='a/b.txt', Body=b'hello boto')
assert r['ETag'] == '"' + __import__('hashlib').md5(b'hello boto').hexdigest() + '"', r
assert s3.get_object(Bucket='py-bucket', Key='a/b.txt')['Body'].read() == b'hello boto'
with open(sys.argv[1], 'rb') as f:
    s3.upload_fileobj(f, 'py-bucket', 'big.bin', Config=TransferConfig(multipart_threshold=64 * 1024 * 1024))
s3.download_file('py-bucket', 'big.bin', sys.argv[1] + '.back')
keys = [o['Key'] for o in s3.list_objects_v2(Bucket='py-bucket')['Contents']]
assert keys == ['a/b.txt', 'big.bin'], keys
try:
    s3.get_object(Bucket='py-bucket', Key='nope')
    raise SystemExit('expected NoSuchKey')
except s3.exceptions.NoSuchKey:
    pass
print('ok')
`;
  const r = await run('python3', ['-c', script, file], clientEnv());
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'ok');
  assert.ok(readFileSync(`${file}.back`).equals(readFileSync(file)));
});

test('AWS CLI v1 (python3 -m awscli): s3 cp, s3 ls, s3api list-objects-v2', async (t) => {
  if (skipOrFail(t, clientUnavailable('python3', ['-c', 'import boto3, awscli']))) return;
  const file = join(dir, 'cli.txt');
  writeFileSync(file, 'from the cli\n');
  const aws = (...args: string[]) => run('python3', ['-m', 'awscli', ...args], clientEnv());
  let r = await aws('s3', 'mb', 's3://cli-v1');
  assert.equal(r.status, 0, r.stderr);
  r = await aws('s3', 'cp', file, 's3://cli-v1/some dir/cli.txt');
  assert.equal(r.status, 0, r.stderr);
  r = await aws('s3', 'ls', 's3://cli-v1/some dir/');
  assert.match(r.stdout, /\s13 cli\.txt/);
  r = await aws('s3api', 'list-objects-v2', '--bucket', 'cli-v1', '--output', 'json');
  assert.equal(JSON.parse(r.stdout).Contents[0].Key, 'some dir/cli.txt');
  r = await aws('s3', 'cp', 's3://cli-v1/some dir/cli.txt', '-');
  assert.equal(r.stdout, 'from the cli\n');
  r = await aws('s3', 'rb', 's3://cli-v1', '--force');
  assert.equal(r.status, 0, r.stderr);
});

test('AWS CLI v2 (/usr/bin/aws): s3 cp and ls, s3api head-object', async (t) => {
  if (skipOrFail(t, clientUnavailable('/usr/bin/aws', ['--version']))) return;
  const file = join(dir, 'v2.txt');
  writeFileSync(file, 'from cli v2\n');
  const aws = (...args: string[]) => run('/usr/bin/aws', ['--endpoint-url', server.url, ...args], clientEnv());
  let r = await aws('s3', 'mb', 's3://cli-v2');
  assert.equal(r.status, 0, r.stderr);
  r = await aws('s3', 'cp', file, 's3://cli-v2/v2.txt');
  assert.equal(r.status, 0, r.stderr);
  r = await aws('s3', 'ls', 's3://cli-v2/');
  assert.match(r.stdout, /\s12 v2\.txt/);
  r = await aws('s3api', 'head-object', '--bucket', 'cli-v2', '--key', 'v2.txt', '--output', 'json');
  assert.equal(JSON.parse(r.stdout).ContentLength, 12);
  r = await aws('s3', 'cp', 's3://cli-v2/v2.txt', '-');
  assert.equal(r.stdout, 'from cli v2\n');
});

test('@aws-sdk/client-s3 multipart, as lib-storage drives it: parts in parallel, complete, the exact bytes and the -3 ETag back', async () => {
  const s3 = client();
  await s3.send(new CreateBucketCommand({ Bucket: 'js-multi' }));
  const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'js-multi', Key: 'big.bin', ContentType: 'application/x-big', Metadata: { team: 'm' } }));
  const UploadId = created.UploadId!;
  const parts = [randomBytes(5 * 1024 * 1024), randomBytes(5 * 1024 * 1024), randomBytes(12345)];
  const uploaded = await Promise.all(parts.map((Body, i) => s3.send(new UploadPartCommand({ Bucket: 'js-multi', Key: 'big.bin', UploadId, PartNumber: i + 1, Body }))));
  uploaded.forEach((u, i) => assert.equal(u.ETag, `"${createHash('md5').update(parts[i]!).digest('hex')}"`));
  const listed = await s3.send(new ListPartsCommand({ Bucket: 'js-multi', Key: 'big.bin', UploadId }));
  assert.deepEqual(listed.Parts?.map((p) => [p.PartNumber, p.Size]), [[1, 5 * 1024 * 1024], [2, 5 * 1024 * 1024], [3, 12345]]);
  const inProgress = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'js-multi' }));
  assert.deepEqual(inProgress.Uploads?.map((u) => [u.Key, u.UploadId]), [['big.bin', UploadId]]);
  const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'js-multi', Key: 'big.bin', UploadId, MultipartUpload: { Parts: uploaded.map((u, i) => ({ PartNumber: i + 1, ETag: u.ETag })) } }));
  const md5s = Buffer.concat(parts.map((p) => createHash('md5').update(p).digest()));
  const etag = `"${createHash('md5').update(md5s).digest('hex')}-3"`;
  assert.deepEqual([done.ETag, done.Bucket, done.Key], [etag, 'js-multi', 'big.bin']);
  const got = await s3.send(new GetObjectCommand({ Bucket: 'js-multi', Key: 'big.bin' }));
  assert.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.concat(parts)));
  assert.deepEqual([got.ETag, got.ContentType, got.Metadata?.team], [etag, 'application/x-big', 'm']);
  await assert.rejects(s3.send(new UploadPartCommand({ Bucket: 'js-multi', Key: 'big.bin', UploadId, PartNumber: 4, Body: 'late' })), (err: Error) => err.name === 'NoSuchUpload');
  const small = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'js-multi', Key: 'small' }));
  const p1 = await s3.send(new UploadPartCommand({ Bucket: 'js-multi', Key: 'small', UploadId: small.UploadId, PartNumber: 1, Body: 'tiny' }));
  const p2 = await s3.send(new UploadPartCommand({ Bucket: 'js-multi', Key: 'small', UploadId: small.UploadId, PartNumber: 2, Body: 'tiny' }));
  const tooSmall = { Bucket: 'js-multi', Key: 'small', UploadId: small.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 2, ETag: p2.ETag }] } };
  await assert.rejects(s3.send(new CompleteMultipartUploadCommand(tooSmall)), (err: Error) => err.name === 'EntityTooSmall');
  await s3.send(new AbortMultipartUploadCommand({ Bucket: 'js-multi', Key: 'small', UploadId: small.UploadId }));
  await assert.rejects(s3.send(new ListPartsCommand({ Bucket: 'js-multi', Key: 'small', UploadId: small.UploadId })), (err: Error) => err.name === 'NoSuchUpload');
});

test('AWS CLI v2 (/usr/bin/aws): s3 cp of a 12 MiB file goes multipart (8 MiB threshold) and comes back byte-identical', async (t) => {
  if (skipOrFail(t, clientUnavailable('/usr/bin/aws', ['--version']))) return;
  const file = join(dir, 'twelve.bin');
  writeFileSync(file, randomBytes(12 * 1024 * 1024));
  const aws = (...args: string[]) => run('/usr/bin/aws', ['--endpoint-url', server.url, ...args], clientEnv());
  let r = await aws('s3', 'mb', 's3://cli-multi');
  assert.equal(r.status, 0, r.stderr);
  r = await aws('s3', 'cp', file, 's3://cli-multi/twelve.bin');
  assert.equal(r.status, 0, r.stderr);
  r = await aws('s3api', 'head-object', '--bucket', 'cli-multi', '--key', 'twelve.bin', '--output', 'json');
  const head = JSON.parse(r.stdout) as { ContentLength: number; ETag: string };
  assert.equal(head.ContentLength, 12 * 1024 * 1024);
  assert.match(head.ETag, /^"[0-9a-f]{32}-2"$/, 'uploaded in two parts (8 MiB + 4 MiB)');
  r = await aws('s3', 'cp', 's3://cli-multi/twelve.bin', `${file}.back`);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(readFileSync(`${file}.back`).equals(readFileSync(file)));
  r = await aws('s3api', 'list-multipart-uploads', '--bucket', 'cli-multi', '--output', 'json');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout || '{}').Uploads, undefined, 'no upload left in progress');
});

test('DeleteObject through the SDK', async () => {
  const s3 = client();
  await s3.send(new CreateBucketCommand({ Bucket: 'js-del' }));
  await s3.send(new PutObjectCommand({ Bucket: 'js-del', Key: 'x', Body: 'x' }));
  await s3.send(new DeleteObjectCommand({ Bucket: 'js-del', Key: 'x' }));
  await s3.send(new DeleteBucketCommand({ Bucket: 'js-del' }));
});
