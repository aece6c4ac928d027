import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { algorithmOfHeader, checksumOf, createChecksum, isValidChecksumValue, parseChecksumAlgorithm, CHECKSUM_ALGORITHMS } from '../../../src/aws/s3/checksum.js';

const CHECK = Buffer.from('123456789');
const hex = (b64: string) => Buffer.from(b64, 'base64').toString('hex');

test('the standard check values ("123456789") of each algorithm', () => {
  assert.equal(hex(checksumOf('CRC32', CHECK)), 'cbf43926');
  assert.equal(hex(checksumOf('CRC32C', CHECK)), 'e3069283');
  assert.equal(hex(checksumOf('CRC64NVME', CHECK)), 'ae8b14860a799888');
  assert.equal(hex(checksumOf('SHA1', CHECK)), 'f7c3bc1d808e04732adf679965ccc34ca7ae3441');
  assert.equal(hex(checksumOf('SHA256', CHECK)), '15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225');
  assert.equal(hex(checksumOf('MD5', CHECK)), '25f9e794323b453885f5181f1b624d0b');
});

test('values S3 documents and SDKs send: empty body and "hello"', () => {
  assert.equal(checksumOf('CRC32', Buffer.alloc(0)), 'AAAAAA==');
  assert.equal(checksumOf('CRC32C', Buffer.alloc(0)), 'AAAAAA==');
  assert.equal(checksumOf('CRC64NVME', Buffer.alloc(0)), 'AAAAAAAAAAA=');
  assert.equal(checksumOf('CRC32', Buffer.from('hello')), 'NhCmhg==');
});

test('incremental updates in any split give the one-shot digest', () => {
  const data = randomBytes(10_007);
  for (const alg of CHECKSUM_ALGORITHMS) {
    const whole = checksumOf(alg, data);
    for (const cut of [0, 1, 3, 4, 5, 4096, 10_006]) {
      const h = createChecksum(alg);
      h.update(data.subarray(0, cut));
      h.update(data.subarray(cut));
      assert.equal(h.digest().toString('base64'), whole, `${alg} split at ${cut}`);
    }
  }
});

test('header names and values: only canonical base64 of the right length is valid', () => {
  assert.equal(algorithmOfHeader('X-Amz-Checksum-CRC32C'), 'CRC32C');
  assert.equal(algorithmOfHeader('x-amz-checksum-md5'), undefined);
  assert.equal(algorithmOfHeader('x-amz-checksum-type'), undefined);
  assert.equal(parseChecksumAlgorithm('crc64nvme'), 'CRC64NVME');
  assert.equal(parseChecksumAlgorithm('MD5'), undefined);
  assert.ok(isValidChecksumValue('CRC32', 'NhCmhg=='));
  assert.ok(!isValidChecksumValue('CRC32', 'NhCmhg'));
  assert.ok(!isValidChecksumValue('CRC32', 'AAAAAAAAAAA='));
  assert.ok(!isValidChecksumValue('SHA256', 'not base64!'));
});
