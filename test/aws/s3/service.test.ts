import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { CALLER, errorCode, makeFixture, sha256Hex } from './helpers.js';
import { checksumOf } from '../../../src/aws/s3/checksum.js';

const md5b64 = (s: string | Buffer) => createHash('md5').update(s).digest('base64');

test('ListBuckets, CreateBucket, HeadBucket and GetBucketLocation answer S3\'s shapes', async (t) => {
  const f = makeFixture(t, { now: () => Date.UTC(2025, 0, 1, 12) });
  let res = await f.call('GET', '/');
  assert.equal(res.status, 200);
  assert.match(res.text, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<ListAllMyBucketsResult xmlns="http:\/\/s3.amazonaws.com\/doc\/2006-03-01\/"><Owner><ID>[0-9a-f]{64}<\/ID><DisplayName>111122223333<\/DisplayName><\/Owner><Buckets><\/Buckets><\/ListAllMyBucketsResult>$/);
  res = await f.call('PUT', '/demo');
  assert.equal(res.status, 200);
  assert.equal(res.headers.location, '/demo');
  assert.ok(res.headers['x-amz-request-id']);
  res = await f.call('GET', '/');
  assert.match(res.text, /<Buckets><Bucket><Name>demo<\/Name><CreationDate>2025-01-01T12:00:00.000Z<\/CreationDate><BucketRegion>us-east-1<\/BucketRegion><\/Bucket><\/Buckets>/);
  res = await f.call('HEAD', '/demo');
  assert.equal(res.status, 200);
  assert.equal(res.headers['x-amz-bucket-region'], 'us-east-1');
  res = await f.call('GET', '/demo?location');
  assert.match(res.text, /<LocationConstraint xmlns="http:\/\/s3.amazonaws.com\/doc\/2006-03-01\/"><\/LocationConstraint>$/);
  res = await f.call('HEAD', '/nope');
  assert.deepEqual([res.status, res.text], [404, '']);
});

test('CreateBucket: LocationConstraint rules, names, and who already owns it', async (t) => {
  const f = makeFixture(t);
  const eu = { ...CALLER, region: 'eu-west-1' };
  const config = (r: string) => `<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>${r}</LocationConstraint></CreateBucketConfiguration>`;
  let res = await f.call('PUT', '/eu-bucket', { caller: eu });
  assert.deepEqual([res.status, errorCode(res.text)], [400, 'IllegalLocationConstraintException']);
  res = await f.call('PUT', '/eu-bucket', { caller: eu, body: config('eu-central-1') });
  assert.deepEqual([res.status, errorCode(res.text)], [400, 'IllegalLocationConstraintException']);
  res = await f.call('PUT', '/eu-bucket', { caller: eu, body: config('eu-west-1') });
  assert.equal(res.status, 200);
  res = await f.call('GET', '/eu-bucket?location');
  assert.match(res.text, /<LocationConstraint [^>]*>eu-west-1<\/LocationConstraint>/);
  res = await f.call('PUT', '/eu-bucket', { caller: eu, body: config('eu-west-1') });
  assert.deepEqual([res.status, errorCode(res.text)], [409, 'BucketAlreadyOwnedByYou']);
  assert.match(res.text, /<Message>Your previous request to create the named bucket succeeded and you already own it.<\/Message><BucketName>eu-bucket<\/BucketName><RequestId>REQ\d+<\/RequestId><HostId>[^<]+<\/HostId><\/Error>$/);
  res = await f.call('PUT', '/us-bucket');
  res = await f.call('PUT', '/us-bucket');
  assert.equal(res.status, 200, 'us-east-1 legacy: creating your own bucket again succeeds');
  res = await f.call('PUT', '/us-bucket', { caller: { ...CALLER, accountId: '444455556666' } });
  assert.deepEqual([res.status, errorCode(res.text)], [409, 'BucketAlreadyExists']);
  res = await f.call('PUT', '/x', { body: config('us-east-1') });
  assert.deepEqual([res.status, errorCode(res.text)], [400, 'InvalidBucketName']);
  res = await f.call('PUT', '/fine-name', { body: config('us-east-1') });
  assert.deepEqual([res.status, errorCode(res.text)], [400, 'InvalidLocationConstraint']);
  res = await f.call('PUT', '/fine-name', { body: '<CreateBucketConfiguration><LocationConstraint>' });
  assert.deepEqual([res.status, errorCode(res.text)], [400, 'MalformedXML']);
  for (const bad of ['ab', 'a'.repeat(64), 'Upper', 'a..b', '192.168.5.4', 'xn--abc', 'bucket-s3alias', '-start', 'end-', 'a_b']) {
    res = await f.call('PUT', `/${bad}`);
    assert.deepEqual([res.status, errorCode(res.text)], [400, 'InvalidBucketName'], bad);
  }
});

test('PutObject / GetObject / HeadObject: ETag, Last-Modified, metadata, default content type, checksum mode', async (t) => {
  const f = makeFixture(t, { now: () => Date.UTC(2025, 0, 1, 12) });
  await f.call('PUT', '/demo');
  let res = await f.call('PUT', '/demo/dir/hello.txt', { body: 'hello', headers: { 'content-type': 'text/plain', 'x-amz-meta-owner': 'team a', 'x-amz-content-sha256': sha256Hex('hello'), 'x-amz-checksum-crc32': 'NhCmhg==' } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.etag, '"5d41402abc4b2a76b9719d911017c592"');
  assert.equal(res.headers['x-amz-checksum-crc32'], 'NhCmhg==');
  res = await f.call('GET', '/demo/dir/hello.txt');
  assert.equal(res.status, 200);
  assert.equal(res.text, 'hello');
  assert.equal(res.headers['content-type'], 'text/plain');
  assert.equal(res.headers['content-length'], '5');
  assert.equal(res.headers['last-modified'], 'Wed, 01 Jan 2025 12:00:00 GMT');
  assert.equal(res.headers['x-amz-meta-owner'], 'team a');
  assert.equal(res.headers['accept-ranges'], 'bytes');
  assert.equal(res.headers['x-amz-checksum-crc32'], undefined, 'checksums only with x-amz-checksum-mode: ENABLED');
  res = await f.call('HEAD', '/demo/dir/hello.txt', { headers: { 'x-amz-checksum-mode': 'ENABLED' } });
  assert.deepEqual([res.status, res.text, res.headers['x-amz-checksum-crc32'], res.headers['content-length']], [200, '', 'NhCmhg==', '5']);
  await f.call('PUT', '/demo/raw', { body: Buffer.from([1, 2, 3]) });
  res = await f.call('GET', '/demo/raw', { headers: { 'x-amz-checksum-mode': 'ENABLED' } });
  assert.equal(res.headers['content-type'], 'binary/octet-stream');
  assert.equal(res.headers['x-amz-checksum-crc64nvme'], checksumOf('CRC64NVME', Buffer.from([1, 2, 3])), 'S3 computes CRC64NVME when the client sent none');
  res = await f.call('GET', '/demo/raw?response-content-type=image/png');
  assert.equal(res.headers['content-type'], 'image/png');
  res = await f.call('GET', '/demo/missing');
  assert.deepEqual([res.status, errorCode(res.text)], [404, 'NoSuchKey']);
  assert.match(res.text, /<Message>The specified key does not exist.<\/Message><Key>missing<\/Key>/);
  res = await f.call('GET', '/nobucket/k');
  assert.deepEqual([res.status, errorCode(res.text)], [404, 'NoSuchBucket']);
  assert.match(res.text, /<BucketName>nobucket<\/BucketName>/);
  res = await f.call('GET', '/demo/dir/hello.txt', { headers: { 'if-none-match': '"5d41402abc4b2a76b9719d911017c592"' } });
  assert.equal(res.status, 304);
  res = await f.call('GET', '/demo/dir/hello.txt', { headers: { 'if-match': '"other"' } });
  assert.deepEqual([res.status, errorCode(res.text)], [412, 'PreconditionFailed']);
});

test('Range: 206 with Content-Range, suffix and open ranges, 416 InvalidRange', async (t) => {
  const f = makeFixture(t);
  await f.call('PUT', '/demo');
  await f.call('PUT', '/demo/digits', { body: '0123456789' });
  const cases: Array<[string, number, string, string | undefined]> = [
    ['bytes=0-3', 206, '0123', 'bytes 0-3/10'],
    ['bytes=7-', 206, '789', 'bytes 7-9/10'],
    ['bytes=-2', 206, '89', 'bytes 8-9/10'],
    ['bytes=5-100', 206, '56789', 'bytes 5-9/10'],
    ['bytes=5-2', 200, '0123456789', undefined],
    ['items=0-1', 200, '0123456789', undefined],
  ];
  for (const [range, status, body, contentRange] of cases) {
    const res = await f.call('GET', '/demo/digits', { headers: { range } });
    assert.deepEqual([res.status, res.text, res.headers['content-range']], [status, body, contentRange], range);
  }
  const res = await f.call('GET', '/demo/digits', { headers: { range: 'bytes=10-' } });
  assert.deepEqual([res.status, errorCode(res.text), res.headers['content-range']], [416, 'InvalidRange', 'bytes */10']);
  assert.match(res.text, /<RangeRequested>bytes=10-<\/RangeRequested><ActualObjectSize>10<\/ActualObjectSize>/);
});

test('upload checks: Content-MD5, x-amz-checksum-*, x-amz-content-sha256, x-amz-sdk-checksum-algorithm', async (t) => {
  const f = makeFixture(t);
  await f.call('PUT', '/demo');
  const put = (headers: Record<string, string>, body = 'hello') => f.call('PUT', '/demo/k', { body, headers });
  let res = await put({ 'content-md5': md5b64('hello') });
  assert.equal(res.status, 200);
  res = await put({ 'content-md5': md5b64('other') });
  assert.deepEqual([res.status, errorCode(res.text)], [400, 'BadDigest']);
  res = await put({ 'content-md5': 'short' });
  assert.deepEqual([res.status, errorCode(res.text)], [400, 'InvalidDigest']);
  res = await put({ 'x-amz-checksum-crc32c': checksumOf('CRC32C', Buffer.from('hellO')) });
  assert.deepEqual([res.status, errorCode(res.text)], [400, 'BadDigest']);
  assert.match(res.text, /<Message>The CRC32C you specified did not match the calculated checksum.<\/Message>/);
  for (const alg of ['SHA1', 'SHA256', 'CRC64NVME', 'CRC32C'] as const) {
    res = await put({ [`x-amz-checksum-${alg.toLowerCase()}`]: checksumOf(alg, Buffer.from('hello')), 'x-amz-sdk-checksum-algorithm': alg });
    assert.equal(res.status, 200, alg);
    assert.equal(res.headers[`x-amz-checksum-${alg.toLowerCase()}`], checksumOf(alg, Buffer.from('hello')));
  }
  res = await put({ 'x-amz-checksum-crc32': 'not-base64' });
  assert.match(res.text, /<Code>InvalidRequest<\/Code><Message>Value for x-amz-checksum-crc32 header is invalid.<\/Message>/);
  res = await put({ 'x-amz-checksum-crc32': 'NhCmhg==', 'x-amz-checksum-sha1': checksumOf('SHA1', Buffer.from('hello')) });
  assert.match(res.text, /Multiple checksum Types are not allowed/);
  res = await put({ 'x-amz-sdk-checksum-algorithm': 'CRC32' });
  assert.deepEqual([res.status, errorCode(res.text)], [400, 'InvalidRequest']);
  res = await put({ 'x-amz-content-sha256': sha256Hex('other') });
  assert.deepEqual([res.status, errorCode(res.text)], [400, 'XAmzContentSHA256Mismatch']);
  assert.match(res.text, new RegExp(`<ClientComputedContentSHA256>${sha256Hex('other')}</ClientComputedContentSHA256><S3ComputedContentSHA256>${sha256Hex('hello')}</S3ComputedContentSHA256>`));
  res = await put({ 'x-amz-content-sha256': 'bogus' });
  assert.deepEqual([res.status, errorCode(res.text)], [400, 'InvalidArgument']);
  res = await f.call('GET', '/demo/k');
  assert.equal(res.text, 'hello', 'a rejected upload leaves the stored object as it was');
});

test('STREAMING-UNSIGNED-PAYLOAD-TRAILER with a CRC32 trailer, as the JS SDK sends streams', async (t) => {
  const f = makeFixture(t);
  await f.call('PUT', '/demo');
  const data = Buffer.alloc(70_000, 'z');
  const framed = (trailer: string) => Buffer.concat([Buffer.from('10000\r\n'), data.subarray(0, 65536), Buffer.from('\r\n'), Buffer.from((70_000 - 65536).toString(16) + '\r\n'), data.subarray(65536), Buffer.from(`\r\n0\r\nx-amz-checksum-crc32:${trailer}\r\n\r\n`)]);
  const headers = { 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': '70000', 'x-amz-trailer': 'x-amz-checksum-crc32', 'x-amz-sdk-checksum-algorithm': 'CRC32' };
  let res = await f.call('PUT', '/demo/big', { body: framed(checksumOf('CRC32', data)), headers });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.headers['x-amz-checksum-crc32'], checksumOf('CRC32', data));
  res = await f.call('GET', '/demo/big');
  assert.ok(res.bytes.equals(data));
  assert.equal(res.headers['content-encoding'], undefined, 'aws-chunked is not stored as the object\'s encoding');
  res = await f.call('PUT', '/demo/big2', { body: framed('AAAAAA=='), headers });
  assert.deepEqual([res.status, errorCode(res.text)], [400, 'BadDigest']);
  res = await f.call('PUT', '/demo/big3', { body: framed(checksumOf('CRC32', data)), headers: { ...headers, 'x-amz-decoded-content-length': '69999' } });
  assert.deepEqual([res.status, errorCode(res.text)], [400, 'IncompleteBody']);
  res = await f.call('PUT', '/demo/big4', { body: framed(checksumOf('CRC32', data)), headers: { ...headers, 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' } });
  assert.deepEqual([res.status, errorCode(res.text)], [403, 'SignatureDoesNotMatch'], 'a signed stream without a signed request');
  res = await f.call('GET', '/demo/big2');
  assert.equal(res.status, 404, 'nothing stored on a failed upload');
});

test('ListObjectsV2: prefix, delimiter, CommonPrefixes, max-keys, continuation-token, start-after, encoding-type=url', async (t) => {
  const f = makeFixture(t);
  await f.call('PUT', '/demo');
  const keys = ['a.txt', 'logs/2024/1', 'logs/2024/2', 'logs/2025/1', 'logs/top', 'photos/x.jpg', 'z z+&.txt', 'é', 'ü/x'];
  for (const k of keys) await f.call('PUT', `/demo/${encodeURIComponent(k).replace(/%2F/g, '/')}`, { body: k });
  const list = async (q: string) => {
    const res = await f.call('GET', `/demo?list-type=2&${q}`);
    assert.equal(res.status, 200, res.text);
    return {
      text: res.text,
      keys: [...res.text.matchAll(/<Contents><Key>([^<]*)<\/Key>/g)].map((m) => m[1]),
      prefixes: [...res.text.matchAll(/<CommonPrefixes><Prefix>([^<]*)<\/Prefix>/g)].map((m) => m[1]),
      token: /<NextContinuationToken>([^<]*)</.exec(res.text)?.[1],
      truncated: /<IsTruncated>true</.test(res.text),
      count: Number(/<KeyCount>(\d+)</.exec(res.text)?.[1]),
    };
  };
  let r = await list('');
  assert.deepEqual(r.keys, ['a.txt', 'logs/2024/1', 'logs/2024/2', 'logs/2025/1', 'logs/top', 'photos/x.jpg', 'z z+&amp;.txt', 'é', 'ü/x']);
  assert.match(r.text, /<ListBucketResult xmlns="http:\/\/s3.amazonaws.com\/doc\/2006-03-01\/"><Name>demo<\/Name><Prefix><\/Prefix><KeyCount>9<\/KeyCount><MaxKeys>1000<\/MaxKeys><IsTruncated>false<\/IsTruncated><Contents><Key>a.txt<\/Key><LastModified>[^<]+<\/LastModified><ETag>&quot;[0-9a-f]{32}&quot;<\/ETag><ChecksumAlgorithm>CRC64NVME<\/ChecksumAlgorithm><ChecksumType>FULL_OBJECT<\/ChecksumType><Size>5<\/Size><StorageClass>STANDARD<\/StorageClass><\/Contents>/);
  r = await list('delimiter=/');
  assert.deepEqual([r.keys, r.prefixes, r.count], [['a.txt', 'z z+&amp;.txt', 'é'], ['logs/', 'photos/', 'ü/'], 6]);
  r = await list('delimiter=/&prefix=logs/');
  assert.deepEqual([r.keys, r.prefixes], [['logs/top'], ['logs/2024/', 'logs/2025/']]);
  r = await list('prefix=logs/2024');
  assert.deepEqual(r.keys, ['logs/2024/1', 'logs/2024/2']);
  r = await list('start-after=logs/2025/1');
  assert.deepEqual(r.keys, ['logs/top', 'photos/x.jpg', 'z z+&amp;.txt', 'é', 'ü/x']);
  // paging with a delimiter: every key or prefix exactly once across pages
  const seen: string[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    r = await list(`delimiter=/&max-keys=2${token ? `&continuation-token=${encodeURIComponent(token)}` : ''}`);
    seen.push(...r.keys, ...r.prefixes);
    token = r.token;
    pages++;
    assert.equal(r.truncated, token !== undefined);
  } while (token !== undefined);
  assert.deepEqual(seen.sort(), ['a.txt', 'logs/', 'photos/', 'z z+&amp;.txt', 'é', 'ü/'].sort());
  assert.equal(pages, 3);
  r = await list('encoding-type=url&delimiter=/');
  assert.deepEqual([r.keys, r.prefixes], [['a.txt', 'z%20z%2B%26.txt', '%C3%A9'], ['logs/', 'photos/', '%C3%BC/']]);
  assert.match(r.text, /<Delimiter>\/<\/Delimiter><EncodingType>url<\/EncodingType>/);
  r = await list('max-keys=0');
  assert.deepEqual([r.keys, r.count, r.truncated], [[], 0, false]);
  let res = await f.call('GET', '/demo?list-type=2&max-keys=-1');
  assert.deepEqual([res.status, errorCode(res.text)], [400, 'InvalidArgument']);
  res = await f.call('GET', '/demo?list-type=2&continuation-token=garbage');
  assert.deepEqual([res.status, errorCode(res.text)], [400, 'InvalidArgument']);
  res = await f.call('GET', '/nobucket?list-type=2');
  assert.deepEqual([res.status, errorCode(res.text)], [404, 'NoSuchBucket']);
  res = await f.call('GET', '/demo?prefix=logs/&delimiter=/');
  assert.match(res.text, /<Marker><\/Marker><MaxKeys>1000<\/MaxKeys><Delimiter>\/<\/Delimiter><IsTruncated>false<\/IsTruncated><Contents><Key>logs\/top<\/Key>/, 'ListObjects (v1)');
});

test('DeleteObject, DeleteObjects (Quiet), DeleteBucket with BucketNotEmpty', async (t) => {
  const f = makeFixture(t);
  await f.call('PUT', '/demo');
  for (const k of ['a', 'b', 'c']) await f.call('PUT', `/demo/${k}`, { body: k });
  let res = await f.call('DELETE', '/demo');
  assert.deepEqual([res.status, errorCode(res.text)], [409, 'BucketNotEmpty']);
  res = await f.call('DELETE', '/demo/a');
  assert.equal(res.status, 204);
  res = await f.call('DELETE', '/demo/a');
  assert.equal(res.status, 204, 'deleting a missing key succeeds, as in S3');
  const del = (quiet: boolean) => `<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>b</Key></Object><Object><Key>zz</Key></Object>${quiet ? '<Quiet>true</Quiet>' : ''}</Delete>`;
  res = await f.call('POST', '/demo?delete', { body: del(false), headers: { 'content-md5': md5b64(del(false)) } });
  assert.equal(res.status, 200, res.text);
  assert.match(res.text, /<DeleteResult xmlns="http:\/\/s3.amazonaws.com\/doc\/2006-03-01\/"><Deleted><Key>b<\/Key><\/Deleted><Deleted><Key>zz<\/Key><\/Deleted><\/DeleteResult>$/);
  res = await f.call('POST', '/demo?delete', { body: del(true), headers: { 'x-amz-checksum-crc32': checksumOf('CRC32', Buffer.from(del(true))) } });
  assert.match(res.text, /<DeleteResult xmlns="[^"]+"><\/DeleteResult>$/);
  res = await f.call('POST', '/demo?delete', { body: del(true) });
  assert.deepEqual([res.status, errorCode(res.text)], [400, 'InvalidRequest'], 'DeleteObjects needs Content-MD5 or a checksum');
  res = await f.call('POST', '/demo?delete', { body: '<Delete><Object>', headers: { 'content-md5': md5b64('<Delete><Object>') } });
  assert.deepEqual([res.status, errorCode(res.text)], [400, 'MalformedXML']);
  await f.call('DELETE', '/demo/c');
  assert.match((await f.call('GET', '/')).text, /<Name>demo<\/Name>/);
  res = await f.call('DELETE', '/demo');
  assert.equal(res.status, 204);
  assert.doesNotMatch((await f.call('GET', '/')).text, /<Name>demo<\/Name>/, 'ListBuckets reflects the delete');
  res = await f.call('DELETE', '/demo');
  assert.deepEqual([res.status, errorCode(res.text)], [404, 'NoSuchBucket']);
});

test('CopyObject: metadata COPY and REPLACE, CopyObjectResult, copying onto itself', async (t) => {
  const f = makeFixture(t);
  await f.call('PUT', '/demo');
  await f.call('PUT', '/other');
  await f.call('PUT', '/demo/src key', { body: 'payload', headers: { 'content-type': 'text/x', 'x-amz-meta-a': '1' } });
  let res = await f.call('PUT', '/other/dst', { headers: { 'x-amz-copy-source': '/demo/src%20key' } });
  assert.equal(res.status, 200, res.text);
  assert.match(res.text, /<CopyObjectResult xmlns="http:\/\/s3.amazonaws.com\/doc\/2006-03-01\/"><ETag>&quot;[0-9a-f]{32}&quot;<\/ETag><LastModified>[^<]+<\/LastModified><ChecksumCRC64NVME>[^<]+<\/ChecksumCRC64NVME><\/CopyObjectResult>$/);
  res = await f.call('GET', '/other/dst');
  assert.deepEqual([res.text, res.headers['content-type'], res.headers['x-amz-meta-a']], ['payload', 'text/x', '1']);
  res = await f.call('PUT', '/other/dst2', { headers: { 'x-amz-copy-source': 'demo/src%20key', 'x-amz-metadata-directive': 'REPLACE', 'content-type': 'text/y' } });
  res = await f.call('GET', '/other/dst2');
  assert.deepEqual([res.headers['content-type'], res.headers['x-amz-meta-a']], ['text/y', undefined]);
  res = await f.call('PUT', '/demo/src%20key', { headers: { 'x-amz-copy-source': '/demo/src%20key' } });
  assert.deepEqual([res.status, errorCode(res.text)], [400, 'InvalidRequest']);
  res = await f.call('PUT', '/other/x', { headers: { 'x-amz-copy-source': '/demo/none' } });
  assert.deepEqual([res.status, errorCode(res.text)], [404, 'NoSuchKey']);
  res = await f.call('PUT', '/other/x', { headers: { 'x-amz-copy-source': 'nokey' } });
  assert.deepEqual([res.status, errorCode(res.text)], [400, 'InvalidArgument']);
});

test('virtual-hosted addressing: bucket.localhost, bucket.s3.REGION.amazonaws.com', async (t) => {
  const f = makeFixture(t);
  await f.call('PUT', '/', { host: 'vhost.localhost:4566' });
  let res = await f.call('PUT', '/a/b.txt', { host: 'vhost.s3.us-east-1.amazonaws.com', body: 'v' });
  assert.equal(res.status, 200);
  res = await f.call('GET', '/vhost/a/b.txt');
  assert.equal(res.text, 'v');
  res = await f.call('GET', '/?list-type=2', { host: 'vhost.s3.amazonaws.com' });
  assert.match(res.text, /<Key>a\/b.txt<\/Key>/);
});

test('authorization: each operation is asked as its IAM action; AccessDenied vs NoSuchKey', async (t) => {
  const asked: string[] = [];
  let allow = (action: string, resource: string) => action !== 's3:DeleteObject' || !resource.endsWith('/keep');
  const f = makeFixture(t, {
    authorize: (_caller, check) => {
      asked.push(`${check.action} ${check.resource}${Object.keys(check.context).length ? ' ' + JSON.stringify(check.context) : ''}`);
      return { allowed: allow(check.action, check.resource) };
    },
  });
  await f.call('GET', '/');
  await f.call('PUT', '/demo');
  await f.call('PUT', '/demo/keep', { body: 'k', headers: { 'x-amz-acl': 'private' } });
  await f.call('GET', '/demo?list-type=2&prefix=p/&delimiter=/');
  await f.call('GET', '/demo/keep');
  assert.deepEqual(asked, [
    's3:ListAllMyBuckets arn:aws:s3:::*',
    's3:CreateBucket arn:aws:s3:::demo',
    's3:PutObject arn:aws:s3:::demo/keep {"s3:x-amz-acl":"private"}',
    's3:PutObjectAcl arn:aws:s3:::demo/keep {"s3:x-amz-acl":"private"}',
    's3:ListBucket arn:aws:s3:::demo {"s3:prefix":"p/","s3:delimiter":"/"}',
    's3:GetObject arn:aws:s3:::demo/keep',
  ]);
  let res = await f.call('DELETE', '/demo/keep');
  assert.deepEqual([res.status, errorCode(res.text)], [403, 'AccessDenied']);
  assert.match(res.text, /<Message>Access Denied<\/Message>/);
  const body = '<Delete><Object><Key>keep</Key></Object><Object><Key>other</Key></Object></Delete>';
  res = await f.call('POST', '/demo?delete', { body, headers: { 'content-md5': md5b64(body) } });
  assert.match(res.text, /<Deleted><Key>other<\/Key><\/Deleted><Error><Key>keep<\/Key><Code>AccessDenied<\/Code><Message>Access Denied<\/Message><\/Error>/);
  allow = (action) => action === 's3:GetObject';
  res = await f.call('GET', '/demo/missing');
  assert.deepEqual([res.status, errorCode(res.text)], [403, 'AccessDenied'], 'without s3:ListBucket a missing key is AccessDenied');
  allow = () => true;
  res = await f.call('GET', '/demo/missing');
  assert.deepEqual([res.status, errorCode(res.text)], [404, 'NoSuchKey']);
});

test('the store survives reopening and removes files no row references (a crash before commit)', async (t) => {
  const f = makeFixture(t);
  await f.call('PUT', '/demo');
  await f.call('PUT', '/demo/kept', { body: 'kept' });
  const pending = await f.store.begin();
  await pending.append(Buffer.from('orphan'));
  await pending.finish();
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(f.dir, 's3', 'objects', 'leftover-from-crash'), 'x');
  const { ObjectStore } = await import('../../../src/aws/s3/store.js');
  const reopened = ObjectStore.open(f.db, join(f.dir, 's3'));
  assert.equal(reopened.getObject('demo', 'kept')?.size, 4);
  assert.deepEqual(readdirSync(join(f.dir, 's3', 'objects')).length, 1);
  assert.deepEqual(readdirSync(join(f.dir, 's3', 'tmp')), []);
});

test('attack: keys with ../, absolute paths, NUL and odd Unicode never become paths', async (t) => {
  const f = makeFixture(t);
  await f.call('PUT', '/demo');
  const keys = ['../../../../etc/passwd', '/etc/shadow', '..', 'a/../../b', 'nul\u0000byte', '\u202Eevil', 'C:\\Windows\\x', 'ü'.repeat(100)];
  for (const key of keys) {
    const res = await f.call('PUT', `/demo/${encodeURIComponent(key)}`, { body: key });
    assert.equal(res.status, 200, key);
  }
  for (const key of keys) {
    const res = await f.call('GET', `/demo/${encodeURIComponent(key)}`);
    assert.equal(res.text, key, key);
  }
  const files = readdirSync(join(f.dir, 's3', 'objects'));
  assert.equal(files.length, keys.length);
  for (const file of files) assert.match(file, /^[0-9a-f-]{36}$/);
  assert.deepEqual(readdirSync(f.dir).sort(), ['aws.sqlite', 'aws.sqlite-shm', 'aws.sqlite-wal', 's3'].sort().filter((n) => readdirSync(f.dir).includes(n)));
  const res = await f.call('GET', '/demo?list-type=2&encoding-type=url');
  assert.match(res.text, /<Key>nul%00byte<\/Key>/);
  const raw = await f.call('GET', '/demo?list-type=2');
  assert.match(raw.text, /<Key>nul&#x0;byte<\/Key>/);
  const bad = await f.call('GET', '/demo/%C3%28');
  assert.deepEqual([bad.status, errorCode(bad.text)], [400, 'InvalidURI']);
});

test('attack: a key over 1024 bytes is KeyTooLongError', async (t) => {
  const f = makeFixture(t);
  await f.call('PUT', '/demo');
  let res = await f.call('PUT', `/demo/${'k'.repeat(1024)}`, { body: 'x' });
  assert.equal(res.status, 200);
  res = await f.call('PUT', `/demo/${'k'.repeat(1025)}`, { body: 'x' });
  assert.deepEqual([res.status, errorCode(res.text)], [400, 'KeyTooLongError']);
  res = await f.call('PUT', `/demo/${encodeURIComponent('é'.repeat(513))}`, { body: 'x' });
  assert.deepEqual([res.status, errorCode(res.text)], [400, 'KeyTooLongError'], '1026 UTF-8 bytes');
});

test('attack: a huge declared Content-Length is refused before any byte is read', async (t) => {
  const f = makeFixture(t);
  await f.call('PUT', '/demo');
  let read = false;
  const body = new Readable({ read() { read = true; this.push(null); } });
  let res = await f.call('PUT', '/demo/huge', { body, headers: { 'content-length': String(5 * 1024 ** 3 + 1) } });
  assert.deepEqual([res.status, errorCode(res.text)], [400, 'EntityTooLarge']);
  assert.match(res.text, /<ProposedSize>5368709121<\/ProposedSize><MaxSizeAllowed>5368709120<\/MaxSizeAllowed>/);
  assert.equal(read, false);
  res = await f.call('PUT', '/demo/huge', { body: 'x', headers: { 'content-length': '99999999999999999999999' } });
  assert.deepEqual([res.status, errorCode(res.text)], [400, 'InvalidArgument']);
  res = await f.call('PUT', '/demo/huge', { body: 'x', headers: { 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'x-amz-decoded-content-length': String(6 * 1024 ** 3) } });
  assert.deepEqual([res.status, errorCode(res.text)], [400, 'EntityTooLarge']);
});

test('attack: a body larger than the limit is cut off while streaming, nothing is stored', async (t) => {
  const f = makeFixture(t, { maxObjectBytes: 1000 });
  await f.call('PUT', '/demo');
  // chunked transfer without a length: aws-chunked claims a small decoded length but sends more
  const framed = Buffer.concat([Buffer.from('800\r\n'), Buffer.alloc(2048, 1), Buffer.from('\r\n0\r\n\r\n')]);
  const res = await f.call('PUT', '/demo/big', { body: Readable.from([framed]), headers: { 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'x-amz-decoded-content-length': '10', 'transfer-encoding': 'chunked' } });
  assert.deepEqual([res.status, errorCode(res.text)], [400, 'EntityTooLarge']);
  assert.equal(readdirSync(join(f.dir, 's3', 'objects')).length, 0);
  assert.deepEqual(readdirSync(join(f.dir, 's3', 'tmp')), []);
});

test('attack: a slow body that stops sending ends with RequestTimeout and leaves no temp file', async (t) => {
  const f = makeFixture(t, { idleTimeoutMs: 200 });
  await f.call('PUT', '/demo');
  const body = new Readable({ read() {} });
  body.push(Buffer.from('partial'));
  const started = Date.now();
  const res = await f.call('PUT', '/demo/slow', { body, headers: { 'content-length': '1000' } });
  assert.deepEqual([res.status, errorCode(res.text)], [400, 'RequestTimeout']);
  assert.ok(Date.now() - started < 5000);
  assert.deepEqual(readdirSync(join(f.dir, 's3', 'tmp')), []);
  assert.equal((await f.call('GET', '/demo/slow')).status, 404);
});

test('unknown methods and subresources: MethodNotAllowed and NotImplemented, UploadPartCopy named', async (t) => {
  const f = makeFixture(t);
  await f.call('PUT', '/demo');
  let res = await f.call('POST', '/');
  assert.deepEqual([res.status, errorCode(res.text)], [405, 'MethodNotAllowed']);
  res = await f.call('PUT', '/demo/k?partNumber=1&uploadId=x', { headers: { 'x-amz-copy-source': 'demo/src' } });
  assert.deepEqual([res.status, errorCode(res.text)], [501, 'NotImplemented']);
  assert.match(res.text, /UploadPartCopy is not implemented/);
  res = await f.call('GET', '/demo?versioning');
  assert.deepEqual([res.status, errorCode(res.text)], [501, 'NotImplemented']);
});

test('bucket policy: Put, Get, Delete; the authorizer sees it', async (t) => {
  let seen: string | undefined;
  const f = makeFixture(t, { authorize: (_c, check) => { seen = check.resourcePolicy; return { allowed: true }; } });
  await f.call('PUT', '/demo');
  let res = await f.call('GET', '/demo?policy');
  assert.deepEqual([res.status, errorCode(res.text)], [404, 'NoSuchBucketPolicy']);
  const policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::demo/*"}]}';
  res = await f.call('PUT', '/demo?policy', { body: policy });
  assert.equal(res.status, 204);
  res = await f.call('GET', '/demo?policy');
  assert.equal(res.text, policy);
  await f.call('GET', '/demo/x');
  assert.equal(seen, policy);
  res = await f.call('PUT', '/demo?policy', { body: 'nope' });
  assert.deepEqual([res.status, errorCode(res.text)], [400, 'MalformedPolicy']);
  res = await f.call('DELETE', '/demo?policy');
  assert.equal(res.status, 204);
});
