import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { AwsChunkedDecoder, ChunkSignatureChain } from '../../../src/aws/s3/chunked.js';
import { deriveSigningKey } from '../../../src/aws/sigv4/signing-key.js';
import { AwsError } from '../../../src/aws/errors.js';

function decodeAll(decoder: AwsChunkedDecoder, body: Buffer, step = body.length): Buffer {
  const out: Buffer[] = [];
  for (let i = 0; i < body.length; i += step) out.push(...decoder.write(body.subarray(i, i + step)));
  decoder.end();
  return Buffer.concat(out);
}

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof AwsError, String(err));
    return err.code;
  }
  return 'no error';
};

// AWS's worked example ("Signature Calculations for the Authorization Header: Transferring Payload in Multiple
// Chunks"): 66560 bytes of 'a' in chunks of 65536 and 1024, with the documented seed and chunk signatures.
const AWS_EXAMPLE = {
  secret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  amzDate: '20130524T000000Z',
  scope: '20130524/us-east-1/s3/aws4_request',
  seed: '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9',
  chunks: [
    [65536, 'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648'],
    [1024, '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497'],
    [0, 'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9'],
  ] as const,
};

function awsExampleBody(): Buffer {
  return Buffer.concat(
    AWS_EXAMPLE.chunks.map(([size, sig]) =>
      Buffer.concat([Buffer.from(`${size.toString(16)};chunk-signature=${sig}\r\n`), Buffer.alloc(size, 'a'), Buffer.from('\r\n')]),
    ),
  );
}

function awsExampleChain(): ChunkSignatureChain {
  return new ChunkSignatureChain({
    signingKey: deriveSigningKey(AWS_EXAMPLE.secret, '20130524', 'us-east-1', 's3'),
    amzDate: AWS_EXAMPLE.amzDate,
    scope: AWS_EXAMPLE.scope,
    seedSignature: AWS_EXAMPLE.seed,
  });
}

test('AWS\'s signed-chunk example decodes and verifies, whatever the network splits', () => {
  const body = awsExampleBody();
  for (const step of [body.length, 1, 7, 8192, 65_600]) {
    const data = decodeAll(new AwsChunkedDecoder({ chain: awsExampleChain() }), body, step);
    assert.equal(data.length, 66_560);
    assert.ok(data.every((b) => b === 0x61));
  }
});

test('a changed byte, a swapped signature or a dropped chunk fails the chain', () => {
  const body = awsExampleBody();
  const flipped = Buffer.from(body);
  flipped[200] = 0x62;
  assert.equal(code(() => decodeAll(new AwsChunkedDecoder({ chain: awsExampleChain() }), flipped)), 'SignatureDoesNotMatch');
  const wrongSig = Buffer.from(body.toString('latin1').replace('ad80c730', 'ad80c731'), 'latin1');
  assert.equal(code(() => decodeAll(new AwsChunkedDecoder({ chain: awsExampleChain() }), wrongSig)), 'SignatureDoesNotMatch');
  const first = body.indexOf('\r\n400;');
  const dropped = Buffer.concat([body.subarray(0, first + 2), body.subarray(body.indexOf('\r\n0;') + 2)]);
  assert.equal(code(() => decodeAll(new AwsChunkedDecoder({ chain: awsExampleChain() }), dropped)), 'SignatureDoesNotMatch');
  const unsignedChunk = Buffer.from(body.toString('latin1').replace(/^10000;chunk-signature=[0-9a-f]+/, '10000'), 'latin1');
  assert.equal(code(() => decodeAll(new AwsChunkedDecoder({ chain: awsExampleChain() }), unsignedChunk)), 'SignatureDoesNotMatch');
});

test('unsigned trailer framing as the JS SDK and botocore send it: data and the checksum trailer', () => {
  const body = Buffer.from('5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n');
  const d = new AwsChunkedDecoder({ allowedTrailers: ['x-amz-checksum-crc32'] });
  assert.equal(decodeAll(d, body, 3).toString(), 'hello world');
  assert.deepEqual([...d.trailers], [['x-amz-checksum-crc32', 'DUoRhQ==']]);
  assert.equal(d.decodedLength, 11);
});

test('an undeclared trailer is refused', () => {
  const body = Buffer.from('0\r\nx-amz-checksum-sha256:AAAA\r\n\r\n');
  assert.equal(code(() => decodeAll(new AwsChunkedDecoder({ allowedTrailers: ['x-amz-checksum-crc32'] }), body)), 'InvalidRequest');
});

test('signed trailer: AWS4-HMAC-SHA256-TRAILER over the canonical trailer lines', () => {
  const key = deriveSigningKey('secret', '20250101', 'us-east-1', 's3');
  const ctx = { signingKey: key, amzDate: '20250101T000000Z', scope: '20250101/us-east-1/s3/aws4_request', seedSignature: 'a'.repeat(64) };
  const signer = new ChunkSignatureChain(ctx);
  const sig1 = signer.expectedChunk(createHash('sha256').update('hello').digest('hex'));
  signer.accept(sig1, sig1);
  const sig0 = signer.expectedChunk(createHash('sha256').digest('hex'));
  signer.accept(sig0, sig0);
  const trailerSig = createHmac('sha256', key)
    .update(`AWS4-HMAC-SHA256-TRAILER\n${ctx.amzDate}\n${ctx.scope}\n${sig0}\n${createHash('sha256').update('x-amz-checksum-crc32:NhCmhg==\n').digest('hex')}`)
    .digest('hex');
  const body = (tsig: string) =>
    Buffer.from(`5;chunk-signature=${sig1}\r\nhello\r\n0;chunk-signature=${sig0}\r\nx-amz-checksum-crc32:NhCmhg==\r\nx-amz-trailer-signature:${tsig}\r\n\r\n`);
  const d = new AwsChunkedDecoder({ chain: new ChunkSignatureChain(ctx) });
  assert.equal(decodeAll(d, body(trailerSig)).toString(), 'hello');
  assert.equal(d.trailers.get('x-amz-checksum-crc32'), 'NhCmhg==');
  assert.equal(code(() => decodeAll(new AwsChunkedDecoder({ chain: new ChunkSignatureChain(ctx) }), body('0'.repeat(64)))), 'SignatureDoesNotMatch');
});

test('truncated or malformed bodies: IncompleteBody or InvalidRequest, never a hang or a crash', () => {
  const cases: Array<[string, string]> = [
    ['5\r\nhel', 'IncompleteBody'],
    ['5\r\nhello\r\n', 'IncompleteBody'],
    ['5\r\nhello\r\n0\r\n', 'IncompleteBody'],
    ['zz\r\nhello\r\n0\r\n\r\n', 'InvalidRequest'],
    ['3\r\nhello\r\n0\r\n\r\n', 'InvalidRequest'],
    ['5\r\nhello\r\n0\r\n\r\nextra', 'InvalidRequest'],
    [`${'f'.repeat(300)}\r\n`, 'InvalidRequest'],
    ['fffffffffffffff\r\n', 'InvalidRequest'],
    [`0\r\n${'x-amz-meta-a:b\r\n'.repeat(400)}`, 'InvalidRequest'],
  ];
  for (const [body, expected] of cases) {
    assert.equal(code(() => decodeAll(new AwsChunkedDecoder(), Buffer.from(body))), expected, JSON.stringify(body.slice(0, 40)));
  }
});
