/**
 * S3 multipart uploads through the service: create, parts, complete (bytes, ETag, headers), abort, the listing
 * operations, each error code S3 answers, authorization actions, durability of acknowledged parts across a reopen,
 * and DeleteBucket with uploads in progress. Real clients drive the same operations in clients.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { ObjectStore } from '../../../src/aws/s3/store.js';
import { checksumOf } from '../../../src/aws/s3/checksum.js';
import { errorCode, makeFixture, type Fixture } from './helpers.js';

const MiB = 1024 * 1024;

function md5Hex(data: Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

function tag(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
}

async function create(f: Fixture, key: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await f.call('POST', `/demo/${key}?uploads`, { headers });
  assert.equal(res.status, 200, res.text);
  return tag(res.text, 'UploadId')!;
}

async function uploadPart(f: Fixture, key: string, id: string, n: number, body: Buffer, headers: Record<string, string> = {}) {
  return f.call('PUT', `/demo/${key}?partNumber=${n}&uploadId=${encodeURIComponent(id)}`, { body, headers });
}

function completeXml(parts: Array<[number, string]>): string {
  return `<CompleteMultipartUpload>${parts.map(([n, e]) => `<Part><PartNumber>${n}</PartNumber><ETag>${e}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
}

async function complete(f: Fixture, key: string, id: string, parts: Array<[number, string]>) {
  return f.call('POST', `/demo/${key}?uploadId=${encodeURIComponent(id)}`, { body: completeXml(parts) });
}

function files(f: Fixture): string[] {
  return readdirSync(join(f.dir, 's3', 'objects'));
}

test('create, three parts (5 MiB, 5 MiB, small), complete: the object is the parts joined, with the -3 ETag and the creation headers', async (t) => {
  const f = makeFixture(t);
  await f.call('PUT', '/demo');
  const res = await f.call('POST', '/demo/big.bin?uploads', { headers: { 'content-type': 'application/x-test', 'x-amz-meta-team': 'a' } });
  assert.equal(res.status, 200);
  assert.match(res.text, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<InitiateMultipartUploadResult xmlns="http:\/\/s3.amazonaws.com\/doc\/2006-03-01\/"><Bucket>demo<\/Bucket><Key>big.bin<\/Key><UploadId>[A-Za-z0-9_-]+<\/UploadId>/);
  const id = tag(res.text, 'UploadId')!;
  const data = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(1000)];
  const etags: string[] = [];
  for (const [i, part] of data.entries()) {
    const up = await uploadPart(f, 'big.bin', id, i + 1, part);
    assert.equal(up.status, 200, up.text);
    assert.equal(up.headers.etag, `"${md5Hex(part)}"`);
    etags.push(up.headers.etag!);
  }
  const done = await complete(f, 'big.bin', id, etags.map((e, i) => [i + 1, e]));
  assert.equal(done.status, 200, done.text);
  const expectedEtag = `"${createHash('md5').update(Buffer.concat(data.map((d) => createHash('md5').update(d).digest()))).digest('hex')}-3"`;
  assert.equal(tag(done.text, 'ETag'), expectedEtag.replace(/"/g, '&quot;'));
  assert.deepEqual([tag(done.text, 'Location'), tag(done.text, 'Bucket'), tag(done.text, 'Key')], ['http://127.0.0.1:4566/demo/big.bin', 'demo', 'big.bin']);
  const got = await f.call('GET', '/demo/big.bin');
  assert.ok(got.bytes.equals(Buffer.concat(data)));
  assert.deepEqual([got.headers.etag, got.headers['content-type'], got.headers['x-amz-meta-team'], got.headers['content-length']], [expectedEtag, 'application/x-test', 'a', String(10 * MiB + 1000)]);
  assert.deepEqual(files(f).length, 1, 'the parts\' files are gone, the object\'s remains');
  const again = await uploadPart(f, 'big.bin', id, 1, Buffer.from('x'));
  assert.deepEqual([again.status, errorCode(again.text)], [404, 'NoSuchUpload']);
  assert.match(again.text, new RegExp(`<UploadId>${id}</UploadId>`));
});

test('a part may be re-uploaded (the new one counts, the old file goes), and a single small part is a valid object', async (t) => {
  const f = makeFixture(t);
  await f.call('PUT', '/demo');
  const id = await create(f, 'k');
  await uploadPart(f, 'k', id, 1, Buffer.from('old'));
  const second = await uploadPart(f, 'k', id, 1, Buffer.from('new'));
  assert.equal(files(f).length, 1, 'the replaced part\'s file is removed');
  const stale = await complete(f, 'k', id, [[1, `"${md5Hex(Buffer.from('old'))}"`]]);
  assert.deepEqual([stale.status, errorCode(stale.text)], [400, 'InvalidPart']);
  const done = await complete(f, 'k', id, [[1, second.headers.etag!.replace(/"/g, '')]]);
  assert.equal(done.status, 200, done.text);
  assert.equal((await f.call('GET', '/demo/k')).text, 'new');
});

test('CompleteMultipartUpload errors: InvalidPartOrder, InvalidPart, EntityTooSmall, MalformedXML, NoSuchUpload; the upload survives them', async (t) => {
  const f = makeFixture(t);
  await f.call('PUT', '/demo');
  const id = await create(f, 'k');
  const small = Buffer.from('small part');
  const big = randomBytes(5 * MiB);
  const e1 = (await uploadPart(f, 'k', id, 1, small)).headers.etag!;
  const e2 = (await uploadPart(f, 'k', id, 2, big)).headers.etag!;
  const last = Buffer.from('the last part');
  const e3 = (await uploadPart(f, 'k', id, 3, last)).headers.etag!;
  let res = await complete(f, 'k', id, [[2, e2], [1, e1]]);
  assert.deepEqual([res.status, errorCode(res.text), tag(res.text, 'PartNumber')], [400, 'InvalidPartOrder', '1']);
  res = await complete(f, 'k', id, [[1, e1], [1, e1]]);
  assert.equal(errorCode(res.text), 'InvalidPartOrder');
  res = await complete(f, 'k', id, [[2, e2], [4, e3]]);
  assert.deepEqual([res.status, errorCode(res.text), tag(res.text, 'PartNumber')], [400, 'InvalidPart', '4']);
  res = await complete(f, 'k', id, [[2, e2], [3, e1]]);
  assert.deepEqual([res.status, errorCode(res.text)], [400, 'InvalidPart']);
  res = await complete(f, 'k', id, [[1, e1], [2, e2]]);
  assert.deepEqual([res.status, errorCode(res.text), tag(res.text, 'ProposedSize'), tag(res.text, 'MinSizeAllowed'), tag(res.text, 'PartNumber')], [400, 'EntityTooSmall', String(small.length), String(5 * MiB), '1']);
  res = await f.call('POST', `/demo/k?uploadId=${id}`, { body: '<CompleteMultipartUpload></CompleteMultipartUpload>' });
  assert.deepEqual([res.status, errorCode(res.text)], [400, 'MalformedXML']);
  res = await f.call('POST', `/demo/k?uploadId=${id}`, { body: '<CompleteMultipartUpload><Part>' });
  assert.deepEqual([res.status, errorCode(res.text)], [400, 'MalformedXML']);
  res = await complete(f, 'other-key', id, [[2, e2]]);
  assert.deepEqual([res.status, errorCode(res.text)], [404, 'NoSuchUpload'], 'an upload id only names its own key');
  res = await complete(f, 'k', 'no-such-id', [[2, e2]]);
  assert.deepEqual([res.status, errorCode(res.text), tag(res.text, 'UploadId')], [404, 'NoSuchUpload', 'no-such-id']);
  res = await complete(f, 'k', id, [[2, e2], [3, e3]]);
  assert.equal(res.status, 200, res.text);
  assert.ok((await f.call('GET', '/demo/k')).bytes.equals(Buffer.concat([big, last])));
  assert.equal(files(f).length, 1, 'part 1, not in the list, was discarded with the upload');
});

test('UploadPart errors: part numbers outside 1..10000, an unknown upload, a part over the size limit', async (t) => {
  const f = makeFixture(t, { maxObjectBytes: 1024 });
  await f.call('PUT', '/demo');
  const id = await create(f, 'k');
  for (const n of ['0', '10001', 'abc', '']) {
    const res = await f.call('PUT', `/demo/k?partNumber=${n}&uploadId=${id}`, { body: 'x' });
    assert.deepEqual([res.status, errorCode(res.text), tag(res.text, 'ArgumentName')], [400, 'InvalidArgument', 'partNumber'], `partNumber=${n}`);
  }
  assert.equal((await uploadPart(f, 'k', id, 10000, Buffer.from('x'))).status, 200);
  let res = await uploadPart(f, 'k', 'nope', 1, Buffer.from('x'));
  assert.deepEqual([res.status, errorCode(res.text)], [404, 'NoSuchUpload']);
  res = await uploadPart(f, 'k', id, 2, Buffer.alloc(2048));
  assert.deepEqual([res.status, errorCode(res.text)], [400, 'EntityTooLarge']);
  res = await f.call('PUT', '/demo/k?partNumber=1', { body: 'x' });
  assert.deepEqual([res.status, errorCode(res.text)], [400, 'InvalidArgument']);
  assert.deepEqual(readdirSync(join(f.dir, 's3', 'tmp')), []);
});

test('AbortMultipartUpload: 204, the parts\' files are removed, the id is gone; an unknown id is NoSuchUpload', async (t) => {
  const f = makeFixture(t);
  await f.call('PUT', '/demo');
  const id = await create(f, 'k');
  await uploadPart(f, 'k', id, 1, Buffer.from('one'));
  await uploadPart(f, 'k', id, 2, Buffer.from('two'));
  assert.equal(files(f).length, 2);
  const res = await f.call('DELETE', `/demo/k?uploadId=${id}`);
  assert.equal(res.status, 204);
  assert.deepEqual(files(f), []);
  for (const r of [await f.call('DELETE', `/demo/k?uploadId=${id}`), await f.call('GET', `/demo/k?uploadId=${id}`), await complete(f, 'k', id, [[1, '"x"']])]) {
    assert.deepEqual([r.status, errorCode(r.text)], [404, 'NoSuchUpload']);
  }
  assert.equal((await f.call('GET', '/demo/k')).status, 404);
});

test('ListParts and ListMultipartUploads: parts in order with ETags and sizes, pages, prefixes', async (t) => {
  const f = makeFixture(t);
  await f.call('PUT', '/demo');
  const id = await create(f, 'a/k');
  const other = await create(f, 'b/k');
  for (const n of [3, 1, 2]) await uploadPart(f, 'a/k', id, n, Buffer.from(`part ${n}`));
  let res = await f.call('GET', `/demo/a/k?uploadId=${id}&max-parts=2`);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual([...res.text.matchAll(/<PartNumber>(\d+)<\/PartNumber>/g)].map((m) => m[1]), ['1', '2']);
  assert.deepEqual([tag(res.text, 'IsTruncated'), tag(res.text, 'NextPartNumberMarker'), tag(res.text, 'Size')], ['true', '2', '6']);
  assert.equal(tag(res.text, 'ETag'), `&quot;${md5Hex(Buffer.from('part 1'))}&quot;`);
  res = await f.call('GET', `/demo/a/k?uploadId=${id}&part-number-marker=2`);
  assert.deepEqual([[...res.text.matchAll(/<PartNumber>(\d+)<\/PartNumber>/g)].map((m) => m[1]), tag(res.text, 'IsTruncated')], [['3'], 'false']);
  res = await f.call('GET', '/demo?uploads');
  assert.equal(res.status, 200, res.text);
  assert.deepEqual([...res.text.matchAll(/<Upload><Key>([^<]*)<\/Key><UploadId>([^<]*)</g)].map((m) => [m[1], m[2]]), [['a/k', id], ['b/k', other]]);
  res = await f.call('GET', '/demo?uploads&prefix=b/');
  assert.deepEqual([...res.text.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]), ['b/k']);
  res = await f.call('GET', '/demo?uploads&max-uploads=1');
  assert.deepEqual([tag(res.text, 'IsTruncated'), tag(res.text, 'NextKeyMarker'), tag(res.text, 'NextUploadIdMarker')], ['true', 'a/k', id]);
  res = await f.call('GET', `/demo?uploads&key-marker=a/k&upload-id-marker=${id}`);
  assert.deepEqual([...res.text.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]), ['b/k']);
  res = await f.call('GET', '/demo?uploads&max-uploads=x');
  assert.deepEqual([res.status, errorCode(res.text)], [400, 'InvalidArgument']);
});

test('a checksum named at creation: parts must carry it, the completed object has the full-object checksum', async (t) => {
  const f = makeFixture(t);
  await f.call('PUT', '/demo');
  let res = await f.call('POST', '/demo/k?uploads', { headers: { 'x-amz-checksum-algorithm': 'CRC32' } });
  assert.equal(res.headers['x-amz-checksum-algorithm'], 'CRC32');
  const id = tag(res.text, 'UploadId')!;
  const part = Buffer.from('checksummed part');
  res = await uploadPart(f, 'k', id, 1, part, { 'x-amz-checksum-crc32': checksumOf('CRC32', part) });
  assert.equal(res.headers['x-amz-checksum-crc32'], checksumOf('CRC32', part));
  res = await uploadPart(f, 'k', id, 2, part, { 'x-amz-checksum-sha256': checksumOf('SHA256', part) });
  assert.deepEqual([res.status, errorCode(res.text)], [400, 'InvalidRequest']);
  res = await uploadPart(f, 'k', id, 2, part, { 'x-amz-checksum-crc32': checksumOf('CRC32', Buffer.from('other')) });
  assert.deepEqual([res.status, errorCode(res.text)], [400, 'BadDigest']);
  res = await complete(f, 'k', id, [[1, `"${md5Hex(part)}"`]]);
  assert.equal(tag(res.text, 'ChecksumCRC32'), checksumOf('CRC32', part));
  res = await f.call('GET', '/demo/k', { headers: { 'x-amz-checksum-mode': 'ENABLED' } });
  assert.equal(res.headers['x-amz-checksum-crc32'], checksumOf('CRC32', part));
  res = await f.call('POST', '/demo/k2?uploads', { headers: { 'x-amz-checksum-algorithm': 'MD4' } });
  assert.deepEqual([res.status, errorCode(res.text)], [400, 'InvalidRequest']);
});

test('authorization: create, upload and complete are s3:PutObject; abort, ListParts and ListMultipartUploads have their own actions', async (t) => {
  const asked: string[] = [];
  let deny = '';
  const f = makeFixture(t, { authorize: (_c, check) => { asked.push(`${check.action} ${check.resource}`); return { allowed: check.action !== deny }; } });
  await f.call('PUT', '/demo');
  asked.length = 0;
  const id = await create(f, 'k');
  const etag = (await uploadPart(f, 'k', id, 1, Buffer.from('x'))).headers.etag!;
  await f.call('GET', `/demo/k?uploadId=${id}`);
  await f.call('GET', '/demo?uploads');
  deny = 's3:AbortMultipartUpload';
  const denied = await f.call('DELETE', `/demo/k?uploadId=${id}`);
  assert.deepEqual([denied.status, errorCode(denied.text)], [403, 'AccessDenied']);
  deny = '';
  await complete(f, 'k', id, [[1, etag]]);
  assert.deepEqual(asked, [
    's3:PutObject arn:aws:s3:::demo/k',
    's3:PutObject arn:aws:s3:::demo/k',
    's3:ListMultipartUploadParts arn:aws:s3:::demo/k',
    's3:ListBucketMultipartUploads arn:aws:s3:::demo',
    's3:AbortMultipartUpload arn:aws:s3:::demo/k',
    's3:PutObject arn:aws:s3:::demo/k',
  ]);
});

test('an acknowledged part survives a reopen of the store (the leftover sweep keeps parts\' files) and completes afterwards', async (t) => {
  const f = makeFixture(t);
  await f.call('PUT', '/demo');
  const id = await create(f, 'k');
  const part = randomBytes(1000);
  const etag = (await uploadPart(f, 'k', id, 1, part)).headers.etag!;
  const reopened = ObjectStore.open(f.db, join(f.dir, 's3'));
  assert.equal(reopened.listParts(id)[0]?.etag, etag);
  assert.equal(files(f).length, 1);
  const res = await complete(f, 'k', id, [[1, etag]]);
  assert.equal(res.status, 200, res.text);
  assert.ok((await f.call('GET', '/demo/k')).bytes.equals(part));
});

test('DeleteBucket with only uploads in progress deletes the bucket and the uploads\' files (general purpose buckets, as on AWS)', async (t) => {
  const f = makeFixture(t);
  await f.call('PUT', '/demo');
  const id = await create(f, 'k');
  await uploadPart(f, 'k', id, 1, Buffer.from('part'));
  await f.call('PUT', '/demo/obj', { body: 'x' });
  let res = await f.call('DELETE', '/demo');
  assert.deepEqual([res.status, errorCode(res.text)], [409, 'BucketNotEmpty']);
  await f.call('DELETE', '/demo/obj');
  res = await f.call('DELETE', '/demo');
  assert.equal(res.status, 204, res.text);
  assert.deepEqual(files(f), []);
  await f.call('PUT', '/demo');
  res = await uploadPart(f, 'k', id, 1, Buffer.from('part'));
  assert.deepEqual([res.status, errorCode(res.text)], [404, 'NoSuchUpload']);
});

test('races, at the store: a part replaced or an upload ended while a Complete joins the parts leaves nothing behind', async (t) => {
  const f = makeFixture(t);
  await f.call('PUT', '/demo');
  const upload = f.store.createUpload({ bucket: 'demo', key: 'k', initiator: 'arn:aws:iam::111122223333:user/admin', initiated: 0, headers: {}, checksumAlgorithm: undefined })!;
  const part = async (n: number, text: string) => {
    const pending = await f.store.begin();
    await pending.append(Buffer.from(text));
    await pending.finish();
    return f.store.commitPart(upload.uploadId, n, pending, { size: text.length, etag: `"${md5Hex(Buffer.from(text))}"`, checksumValue: undefined }, 0);
  };
  await part(1, 'first');
  const used = f.store.listParts(upload.uploadId);
  await part(1, 'replaced');
  const joined = async () => {
    const pending = await f.store.begin();
    await pending.finish();
    return f.store.completeUpload(upload, used, pending, { size: 0, etag: '"x-1"', headers: {} }, 0);
  };
  assert.equal(await joined(), 'parts-changed');
  assert.equal(f.store.abortUpload(upload.uploadId), true);
  assert.equal(await joined(), 'no-upload');
  assert.equal(await part(2, 'late'), undefined, 'a part arriving after the abort is dropped');
  assert.equal(f.store.getObject('demo', 'k'), undefined);
  assert.deepEqual(files(f), []);
});
