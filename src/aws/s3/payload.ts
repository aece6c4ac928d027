/**
 * Reading an upload body as S3 does: size limits before a byte is stored, the payload hash the signature covered
 * (`x-amz-content-sha256`), aws-chunked decoding with its chunk-signature chain, `Content-MD5`, and the flexible
 * checksum (`x-amz-checksum-*` header or trailer, `x-amz-sdk-checksum-algorithm`). The decoded bytes go to a sink;
 * any failure throws an S3 {@link AwsError} and the caller discards what the sink received.
 * @module
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { AwsChunkedDecoder, ChunkSignatureChain, STREAMING_PAYLOADS, type ChunkSigningContext } from './chunked.js';
import { algorithmOfHeader, checksumHeaderName, createChecksum, isValidChecksumValue, parseChecksumAlgorithm, type ChecksumAlgorithm, type Hasher } from './checksum.js';
import { isWireError } from '../errors.js';
import { s3Error, checksumMismatch, invalidChecksumHeader } from './errors.js';

/** S3's single-PUT limit. */
export const MAX_PUT_BYTES = 5 * 1024 ** 3;

export interface PayloadOptions {
  /** Refuse bodies (decoded) larger than this; S3's 5 GiB by default. */
  maxBytes?: number;
  /** For signed aws-chunked bodies: the verified request signature's context. */
  chunkSigning?: ChunkSigningContext | undefined;
  /** Abort when the client sends nothing for this long (S3's `RequestTimeout`). */
  idleTimeoutMs?: number;
  /** Compute this checksum when the client sent none (S3 now defaults to CRC64NVME). */
  defaultChecksum?: ChecksumAlgorithm | undefined;
}

export interface PayloadResult {
  size: number;
  md5Hex: string;
  checksum: { algorithm: ChecksumAlgorithm; value: string } | undefined;
  /** True when the client supplied the checksum (S3 echoes it). */
  checksumFromClient: boolean;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** The checksum the client announced: `{algorithm, value}` from a header, `{algorithm}` for a trailer, or none. */
function announcedChecksum(headers: IncomingHttpHeaders, streaming: boolean): { algorithm: ChecksumAlgorithm; value?: string; trailer: boolean } | undefined {
  let found: { algorithm: ChecksumAlgorithm; value?: string; trailer: boolean } | undefined;
  for (const [name, raw] of Object.entries(headers)) {
    const algorithm = algorithmOfHeader(name);
    if (algorithm === undefined) {
      if (name.startsWith('x-amz-checksum-') && name !== 'x-amz-checksum-type' && name !== 'x-amz-checksum-mode' && name !== 'x-amz-checksum-algorithm') {
        throw invalidChecksumHeader(name);
      }
      continue;
    }
    if (found !== undefined) throw s3Error('InvalidRequest', { message: 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.' });
    const value = Array.isArray(raw) ? raw.join(',') : (raw ?? '');
    if (!isValidChecksumValue(algorithm, value)) throw invalidChecksumHeader(name);
    found = { algorithm, value, trailer: false };
  }
  const trailerHeader = header(headers, 'x-amz-trailer');
  if (trailerHeader !== undefined && trailerHeader.trim() !== '') {
    const names = trailerHeader.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '');
    if (!streaming) throw s3Error('InvalidRequest', { message: 'x-amz-trailer requires an aws-chunked body (STREAMING-…-TRAILER).' });
    if (names.length !== 1) throw s3Error('InvalidRequest', { message: 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.' });
    const algorithm = algorithmOfHeader(names[0]!);
    if (algorithm === undefined) throw s3Error('InvalidRequest', { message: 'The value specified in the x-amz-trailer header is not supported' });
    if (found !== undefined) throw s3Error('InvalidRequest', { message: 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.' });
    found = { algorithm, trailer: true };
  }
  const sdk = header(headers, 'x-amz-sdk-checksum-algorithm');
  if (sdk !== undefined) {
    const algorithm = parseChecksumAlgorithm(sdk);
    if (algorithm === undefined) throw invalidChecksumHeader('x-amz-sdk-checksum-algorithm');
    if (found === undefined) {
      throw s3Error('InvalidRequest', { message: 'x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.' });
    }
    if (found.algorithm !== algorithm) throw invalidChecksumHeader('x-amz-sdk-checksum-algorithm');
  }
  return found;
}

/** Rejects a declared size above the limit before any byte is read (S3's `EntityTooLarge`). */
export function checkDeclaredSize(headers: IncomingHttpHeaders, maxBytes = MAX_PUT_BYTES): void {
  for (const name of ['x-amz-decoded-content-length', 'content-length']) {
    const v = header(headers, name);
    if (v === undefined) continue;
    if (!/^\d{1,19}$/.test(v.trim())) throw s3Error('InvalidArgument', { message: `${name} must be a non-negative integer`, extra: [['ArgumentName', name], ['ArgumentValue', v.slice(0, 64)]] });
    const n = Number(v);
    // the decoded length is the object's; content-length of aws-chunked adds framing (a few bytes per chunk)
    const limit = name === 'content-length' && header(headers, 'x-amz-decoded-content-length') !== undefined ? maxBytes + maxBytes / 64 + 65536 : maxBytes;
    if (n > limit) {
      throw s3Error('EntityTooLarge', { extra: [['ProposedSize', String(n)], ['MaxSizeAllowed', String(maxBytes)]] });
    }
  }
}

/**
 * Reads a request body through S3's checks into `sink`, which receives the decoded bytes in order.
 * Throws an S3 {@link AwsError}; nothing is acknowledged unless this resolves.
 */
export async function readPayload(
  headers: IncomingHttpHeaders,
  body: Readable,
  sink: (chunk: Buffer) => Promise<void> | void,
  options: PayloadOptions = {},
): Promise<PayloadResult> {
  const maxBytes = options.maxBytes ?? MAX_PUT_BYTES;
  checkDeclaredSize(headers, maxBytes);
  const contentSha256 = header(headers, 'x-amz-content-sha256');
  const streaming = contentSha256 !== undefined && contentSha256.startsWith('STREAMING-');
  if (streaming && !(Object.values(STREAMING_PAYLOADS) as string[]).includes(contentSha256)) {
    throw s3Error('InvalidRequest', { message: `The x-amz-content-sha256 value ${contentSha256} is not supported; use STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or STREAMING-UNSIGNED-PAYLOAD-TRAILER.` });
  }
  if (contentSha256 !== undefined && !streaming && contentSha256 !== 'UNSIGNED-PAYLOAD' && !/^[0-9a-f]{64}$/.test(contentSha256)) {
    throw s3Error('InvalidArgument', {
      message: 'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.',
      extra: [['ArgumentName', 'x-amz-content-sha256'], ['ArgumentValue', contentSha256.slice(0, 128)]],
    });
  }
  const declaredDecoded = header(headers, 'x-amz-decoded-content-length');
  if (streaming && declaredDecoded === undefined) throw s3Error('MissingContentLength');
  if (!streaming && header(headers, 'content-length') === undefined && header(headers, 'transfer-encoding') !== undefined) {
    throw s3Error('MissingContentLength');
  }

  const announced = announcedChecksum(headers, streaming);
  const md5Header = header(headers, 'content-md5');
  if (md5Header !== undefined && (Buffer.from(md5Header, 'base64').length !== 16 || Buffer.from(md5Header, 'base64').toString('base64') !== md5Header.trim())) {
    throw s3Error('InvalidDigest');
  }

  let decoder: AwsChunkedDecoder | undefined;
  if (streaming) {
    const signed = contentSha256 !== STREAMING_PAYLOADS.unsignedTrailer;
    if (signed && options.chunkSigning === undefined) throw s3Error('SignatureDoesNotMatch', { message: 'A signed aws-chunked body needs a signed request (Authorization header).' });
    decoder = new AwsChunkedDecoder({
      chain: signed ? new ChunkSignatureChain(options.chunkSigning!) : undefined,
      allowedTrailers: announced?.trailer === true ? [checksumHeaderName(announced.algorithm)] : [],
    });
  }
  const md5 = createHash('md5');
  const sha256 = contentSha256 !== undefined && /^[0-9a-f]{64}$/.test(contentSha256) ? createHash('sha256') : undefined;
  const checksumAlgorithm = announced?.algorithm ?? options.defaultChecksum;
  const checksum: Hasher | undefined = checksumAlgorithm === undefined ? undefined : createChecksum(checksumAlgorithm);
  let size = 0;

  const consume = async (piece: Buffer): Promise<void> => {
    size += piece.length;
    if (size > maxBytes) throw s3Error('EntityTooLarge', { extra: [['ProposedSize', String(size)], ['MaxSizeAllowed', String(maxBytes)]] });
    md5.update(piece);
    checksum?.update(piece);
    await sink(piece);
  };

  const idle = options.idleTimeoutMs ?? 20_000;
  const timer = setTimeout(() => body.destroy(s3Error('RequestTimeout')), idle);
  let ended = false;
  const onAborted = () => {
    if (!ended) body.destroy(s3Error('IncompleteBody', { message: 'The request body terminated unexpectedly' }));
  };
  body.once('aborted', onAborted);
  try {
    for await (const raw of body as AsyncIterable<Buffer>) {
      timer.refresh();
      sha256?.update(raw);
      if (decoder === undefined) await consume(raw);
      else for (const piece of decoder.write(raw)) await consume(piece);
    }
    ended = true;
  } catch (err) {
    if (isWireError(err)) throw err;
    throw s3Error('IncompleteBody', { message: 'The request body terminated unexpectedly', cause: err });
  } finally {
    clearTimeout(timer);
    body.off('aborted', onAborted);
  }
  decoder?.end();

  if (sha256 !== undefined) {
    const computed = sha256.digest('hex');
    if (computed !== contentSha256) {
      throw s3Error('XAmzContentSHA256Mismatch', { extra: [['ClientComputedContentSHA256', contentSha256!], ['S3ComputedContentSHA256', computed]] });
    }
  }
  if (decoder !== undefined && String(decoder.decodedLength) !== declaredDecoded!.trim()) {
    throw s3Error('IncompleteBody', { message: 'The decoded length of the aws-chunked body does not match x-amz-decoded-content-length.' });
  }
  const md5Raw = md5.digest();
  if (md5Header !== undefined && md5Raw.toString('base64') !== md5Header.trim()) throw s3Error('BadDigest');

  let result: PayloadResult['checksum'];
  if (checksumAlgorithm !== undefined) {
    const value = checksum!.digest().toString('base64');
    let expected = announced?.value;
    if (announced?.trailer === true) {
      expected = decoder!.trailers.get(checksumHeaderName(announced.algorithm));
      if (expected === undefined) throw s3Error('InvalidRequest', { message: `The trailer ${checksumHeaderName(announced.algorithm)} announced in x-amz-trailer was not sent.` });
      if (!isValidChecksumValue(announced.algorithm, expected)) throw invalidChecksumHeader(checksumHeaderName(announced.algorithm));
    }
    if (expected !== undefined && expected !== value) throw checksumMismatch(checksumAlgorithm);
    result = { algorithm: checksumAlgorithm, value };
  }
  return { size, md5Hex: md5Raw.toString('hex'), checksum: result, checksumFromClient: announced !== undefined };
}

/** Reads a small request body (XML documents) through the same checks, bounded to `maxBytes`. */
export async function readSmallBody(headers: IncomingHttpHeaders, body: Readable, options: PayloadOptions = {}): Promise<Buffer> {
  const parts: Buffer[] = [];
  await readPayload(headers, body, (c) => void parts.push(c), { ...options, maxBytes: options.maxBytes ?? 1024 * 1024, defaultChecksum: undefined });
  return Buffer.concat(parts);
}
