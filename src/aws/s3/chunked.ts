/**
 * The aws-chunked body framing of streaming uploads (`Content-Encoding: aws-chunked`), decoded incrementally:
 * `<hex-size>[;chunk-signature=<sig>]\r\n<bytes>\r\n` … a zero-size chunk, then trailer lines (`x-amz-checksum-crc32:…`,
 * `x-amz-trailer-signature:…`) and an empty line. Signed variants are checked chunk by chunk against the chain that
 * starts at the request's (seed) signature; unsigned ones only for framing.
 * @module
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { EMPTY_SHA256 } from '../sigv4/canonical-request.js';
import { s3Error } from './errors.js';

/** The `x-amz-content-sha256` values that announce an aws-chunked body. */
export const STREAMING_PAYLOADS = {
  signed: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
  signedTrailer: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
  unsignedTrailer: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
} as const;

/** A size line longer than this is not a chunk header (16 hex digits + `;chunk-signature=` + 64 hex + slack). */
const MAX_LINE = 256;
/** Trailer section bound: a few checksum lines, never megabytes. */
const MAX_TRAILER_BYTES = 4096;
/** S3's chunk ceiling is far below this; a bigger declared size is garbage. */
const MAX_CHUNK_SIZE = 2 ** 40;

/** What the verified request signature gives the chunk chain. */
export interface ChunkSigningContext {
  /** `kSigning` of the request's credential scope. */
  signingKey: Buffer;
  /** `X-Amz-Date` of the request (`yyyymmddThhmmssZ`). */
  amzDate: string;
  /** `yyyymmdd/region/service/aws4_request`. */
  scope: string;
  /** The request's own signature (the chain's seed). */
  seedSignature: string;
}

/** The signature chain of a signed aws-chunked body: each chunk's signature covers the previous one. */
export class ChunkSignatureChain {
  private previous: string;
  constructor(private readonly ctx: ChunkSigningContext) {
    this.previous = ctx.seedSignature;
  }

  /** Expected signature of the next chunk, whose data hashes to `chunkSha256Hex`. */
  expectedChunk(chunkSha256Hex: string): string {
    const sts = `AWS4-HMAC-SHA256-PAYLOAD\n${this.ctx.amzDate}\n${this.ctx.scope}\n${this.previous}\n${EMPTY_SHA256}\n${chunkSha256Hex}`;
    return createHmac('sha256', this.ctx.signingKey).update(sts).digest('hex');
  }

  /** Expected trailer signature over the canonical trailer lines (`name:value\n` each). */
  expectedTrailer(canonicalTrailer: string): string {
    const hash = createHash('sha256').update(canonicalTrailer).digest('hex');
    const sts = `AWS4-HMAC-SHA256-TRAILER\n${this.ctx.amzDate}\n${this.ctx.scope}\n${this.previous}\n${hash}`;
    return createHmac('sha256', this.ctx.signingKey).update(sts).digest('hex');
  }

  /** Checks a provided signature in constant time and, when it matches, advances the chain. */
  accept(expected: string, provided: string): boolean {
    const a = Buffer.from(expected, 'utf8');
    const b = Buffer.from(provided, 'utf8');
    if (a.length !== b.length || !timingSafeEqual(a, b)) return false;
    this.previous = provided;
    return true;
  }
}

export interface AwsChunkedOptions {
  /** Present for the signed variants: every chunk (and the trailer, if any) must carry a valid signature. */
  chain?: ChunkSignatureChain;
  /** Trailer header names the request announced in `x-amz-trailer` (lowercase); others are refused. */
  allowedTrailers?: readonly string[];
}

const enum State {
  Header,
  Data,
  DataEnd,
  Trailer,
  Done,
}

const signatureMismatch = () => s3Error('SignatureDoesNotMatch');
const malformed = (what: string) => s3Error('InvalidRequest', { message: `The aws-chunked body is malformed: ${what}.` });

/**
 * Incremental aws-chunked decoder: `write()` each received buffer and forward the decoded pieces it returns; `end()`
 * when the body ends. Both throw S3 errors (`IncompleteBody`, `InvalidRequest`, `SignatureDoesNotMatch`).
 * @example
 * const d = new AwsChunkedDecoder(); const out = d.write(Buffer.from('5\r\nhello\r\n0\r\n\r\n')); d.end()
 */
export class AwsChunkedDecoder {
  private state = State.Header;
  private line = '';
  private remaining = 0;
  private chunkSignature = '';
  private chunkHash: ReturnType<typeof createHash> | undefined;
  private crlf = '';
  private trailerBytes = 0;
  private readonly trailerLines: Array<[string, string]> = [];
  private trailerSignature: string | undefined;
  /** Decoded byte count so far. */
  decodedLength = 0;

  constructor(private readonly options: AwsChunkedOptions = {}) {}

  /** Trailer headers received (lowercase names), available after `end()`. */
  get trailers(): ReadonlyMap<string, string> {
    return new Map(this.trailerLines);
  }

  write(buf: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let i = 0;
    while (i < buf.length) {
      switch (this.state) {
        case State.Header:
        case State.Trailer: {
          const nl = buf.indexOf(0x0a, i);
          const end = nl < 0 ? buf.length : nl;
          this.line += buf.toString('latin1', i, end);
          if (this.state === State.Header && this.line.length > MAX_LINE) throw malformed('a chunk-size line is too long');
          if (this.state === State.Trailer) {
            this.trailerBytes += end - i + 1;
            if (this.trailerBytes > MAX_TRAILER_BYTES) throw malformed('the trailer section is too long');
          }
          i = end;
          if (nl < 0) break;
          i = nl + 1;
          const line = this.line.endsWith('\r') ? this.line.slice(0, -1) : this.line;
          this.line = '';
          if (this.state === State.Header) this.onSizeLine(line);
          else this.onTrailerLine(line);
          break;
        }
        case State.Data: {
          const n = Math.min(this.remaining, buf.length - i);
          const piece = buf.subarray(i, i + n);
          this.chunkHash?.update(piece);
          out.push(piece);
          this.decodedLength += n;
          this.remaining -= n;
          i += n;
          if (this.remaining === 0) this.state = State.DataEnd;
          break;
        }
        case State.DataEnd: {
          this.crlf += String.fromCharCode(buf[i]!);
          i++;
          if (this.crlf === '\r\n') {
            this.crlf = '';
            this.finishChunk();
            this.state = State.Header;
          } else if (!'\r\n'.startsWith(this.crlf)) {
            throw malformed('a chunk is longer than its declared size');
          }
          break;
        }
        case State.Done:
          // clients end with exactly one CRLF after the trailer; anything more is not aws-chunked
          throw malformed('bytes follow the final chunk');
      }
    }
    return out;
  }

  /** Call at the end of the body: throws `IncompleteBody` unless the final chunk (and trailer) arrived. */
  end(): void {
    if (this.state !== State.Done) throw s3Error('IncompleteBody', { message: 'The request body terminated unexpectedly' });
  }

  private onSizeLine(line: string): void {
    const semi = line.indexOf(';');
    const sizeText = semi < 0 ? line : line.slice(0, semi);
    if (!/^[0-9a-fA-F]{1,16}$/.test(sizeText)) throw malformed(`"${sizeText.slice(0, 20)}" is not a hexadecimal chunk size`);
    const size = parseInt(sizeText, 16);
    if (size > MAX_CHUNK_SIZE) throw malformed('a chunk size is too large');
    const extension = semi < 0 ? '' : line.slice(semi + 1);
    if (this.options.chain !== undefined) {
      const m = /^chunk-signature=([0-9a-f]{64})$/.exec(extension);
      if (m === null) throw signatureMismatch();
      this.chunkSignature = m[1]!;
      this.chunkHash = createHash('sha256');
    }
    this.remaining = size;
    if (size > 0) {
      this.state = State.Data;
      return;
    }
    this.finishChunk();
    this.state = State.Trailer;
  }

  private finishChunk(): void {
    const chain = this.options.chain;
    if (chain === undefined) return;
    const expected = chain.expectedChunk(this.chunkHash!.digest('hex'));
    if (!chain.accept(expected, this.chunkSignature)) throw signatureMismatch();
  }

  private onTrailerLine(line: string): void {
    if (line === '') {
      this.finishTrailer();
      this.state = State.Done;
      return;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw malformed('a trailer line has no name');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'x-amz-trailer-signature') {
      this.trailerSignature = value;
      return;
    }
    const allowed = this.options.allowedTrailers;
    if (allowed !== undefined && !allowed.includes(name)) {
      throw s3Error('InvalidRequest', { message: `The trailer ${name} was not declared in x-amz-trailer.` });
    }
    this.trailerLines.push([name, value]);
  }

  private finishTrailer(): void {
    const chain = this.options.chain;
    if (chain === undefined || (this.trailerLines.length === 0 && this.trailerSignature === undefined)) return;
    if (this.trailerSignature === undefined) throw signatureMismatch();
    const canonical = this.trailerLines.map(([n, v]) => `${n}:${v}\n`).join('');
    if (!chain.accept(chain.expectedTrailer(canonical), this.trailerSignature)) throw signatureMismatch();
  }
}
