/**
 * The checksums S3 verifies on upload (`x-amz-checksum-*`, `Content-MD5`): incremental hashers for CRC32, CRC32C,
 * CRC64NVME, SHA1 and SHA256, with the base64 big-endian encoding S3 puts on the wire.
 * CRC32 is zlib's; CRC32C and CRC64NVME are table-driven here (no maintained dependency-free package covers them).
 * @module
 */
import { createHash, type Hash } from 'node:crypto';
import { crc32 } from 'node:zlib';

/** The flexible-checksum algorithms S3 accepts, as `x-amz-sdk-checksum-algorithm` spells them. */
export const CHECKSUM_ALGORITHMS = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

/** An incremental digest: feed bytes in order, read the raw digest once. */
export interface Hasher {
  update(chunk: Uint8Array): void;
  digest(): Buffer;
}

/** `x-amz-checksum-crc32` for `CRC32`, and so on. */
export function checksumHeaderName(algorithm: ChecksumAlgorithm): string {
  return `x-amz-checksum-${algorithm.toLowerCase()}`;
}

/** The algorithm a `x-amz-checksum-*` header (or trailer) names; `undefined` for anything else. */
export function algorithmOfHeader(name: string): ChecksumAlgorithm | undefined {
  const lower = name.toLowerCase();
  if (!lower.startsWith('x-amz-checksum-')) return undefined;
  const upper = lower.slice('x-amz-checksum-'.length).toUpperCase();
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(upper) ? (upper as ChecksumAlgorithm) : undefined;
}

/** The algorithm named by `x-amz-sdk-checksum-algorithm` (case-insensitive); `undefined` when it is none of ours. */
export function parseChecksumAlgorithm(value: string): ChecksumAlgorithm | undefined {
  const upper = value.trim().toUpperCase();
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(upper) ? (upper as ChecksumAlgorithm) : undefined;
}

/** Raw digest length in bytes; a header whose base64 decodes to another length is invalid. */
export function digestLength(algorithm: ChecksumAlgorithm): number {
  switch (algorithm) {
    case 'CRC32':
    case 'CRC32C':
      return 4;
    case 'CRC64NVME':
      return 8;
    case 'SHA1':
      return 20;
    case 'SHA256':
      return 32;
  }
}

/** True when `value` is canonical base64 of a digest of the algorithm's length. */
export function isValidChecksumValue(algorithm: ChecksumAlgorithm, value: string): boolean {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) return false;
  const raw = Buffer.from(value, 'base64');
  return raw.length === digestLength(algorithm) && raw.toString('base64') === value;
}

class Crc32Hasher implements Hasher {
  private value = 0;
  update(chunk: Uint8Array): void {
    this.value = crc32(chunk, this.value);
  }
  digest(): Buffer {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(this.value >>> 0);
    return out;
  }
}

/** Slicing-by-4 tables for the reflected Castagnoli polynomial 0x82F63B78. */
const CRC32C_TABLES: Uint32Array[] = (() => {
  const tables = [new Uint32Array(256), new Uint32Array(256), new Uint32Array(256), new Uint32Array(256)];
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    tables[0]![i] = c >>> 0;
  }
  for (let i = 0; i < 256; i++) {
    for (let t = 1; t < 4; t++) tables[t]![i] = (tables[t - 1]![i]! >>> 8) ^ tables[0]![tables[t - 1]![i]! & 0xff]!;
  }
  return tables;
})();

class Crc32cHasher implements Hasher {
  private crc = 0xffffffff;
  update(chunk: Uint8Array): void {
    const [t0, t1, t2, t3] = CRC32C_TABLES as [Uint32Array, Uint32Array, Uint32Array, Uint32Array];
    let crc = this.crc;
    let i = 0;
    const end4 = chunk.length - (chunk.length % 4);
    for (; i < end4; i += 4) {
      crc ^= chunk[i]! | (chunk[i + 1]! << 8) | (chunk[i + 2]! << 16) | (chunk[i + 3]! << 24);
      crc = t3[crc & 0xff]! ^ t2[(crc >>> 8) & 0xff]! ^ t1[(crc >>> 16) & 0xff]! ^ t0[crc >>> 24]!;
    }
    for (; i < chunk.length; i++) crc = t0[(crc ^ chunk[i]!) & 0xff]! ^ (crc >>> 8);
    this.crc = crc >>> 0;
  }
  digest(): Buffer {
    const out = Buffer.alloc(4);
    out.writeUInt32BE((this.crc ^ 0xffffffff) >>> 0);
    return out;
  }
}

/** Table for the reflected NVMe polynomial 0x9A6BC9329AC4BC9B5 (64-bit), split into high and low 32-bit halves. */
const CRC64_TABLE_HI = new Uint32Array(256);
const CRC64_TABLE_LO = new Uint32Array(256);
(() => {
  const POLY_HI = 0x9a6c9329;
  const POLY_LO = 0xac4bc9b5;
  for (let i = 0; i < 256; i++) {
    let hi = 0;
    let lo = i;
    for (let k = 0; k < 8; k++) {
      const carry = lo & 1;
      lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
      hi = hi >>> 1;
      if (carry) {
        hi = (hi ^ POLY_HI) >>> 0;
        lo = (lo ^ POLY_LO) >>> 0;
      }
    }
    CRC64_TABLE_HI[i] = hi;
    CRC64_TABLE_LO[i] = lo;
  }
})();

class Crc64NvmeHasher implements Hasher {
  private hi = 0xffffffff;
  private lo = 0xffffffff;
  update(chunk: Uint8Array): void {
    let hi = this.hi;
    let lo = this.lo;
    for (let i = 0; i < chunk.length; i++) {
      const index = (lo ^ chunk[i]!) & 0xff;
      // crc = table[index] ^ (crc >>> 8), on two 32-bit halves
      lo = (((lo >>> 8) | (hi << 24)) ^ CRC64_TABLE_LO[index]!) >>> 0;
      hi = ((hi >>> 8) ^ CRC64_TABLE_HI[index]!) >>> 0;
    }
    this.hi = hi;
    this.lo = lo;
  }
  digest(): Buffer {
    const out = Buffer.alloc(8);
    out.writeUInt32BE((this.hi ^ 0xffffffff) >>> 0, 0);
    out.writeUInt32BE((this.lo ^ 0xffffffff) >>> 0, 4);
    return out;
  }
}

class NodeHasher implements Hasher {
  private readonly hash: Hash;
  constructor(algorithm: string) {
    this.hash = createHash(algorithm);
  }
  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
  }
  digest(): Buffer {
    return this.hash.digest();
  }
}

/**
 * A fresh incremental hasher for one of S3's checksum algorithms, or `'MD5'` (Content-MD5 and the ETag).
 * @example
 * const h = createChecksum('CRC32'); h.update(Buffer.from('hello')); h.digest().toString('base64') // 'NhCmhg=='
 */
export function createChecksum(algorithm: ChecksumAlgorithm | 'MD5'): Hasher {
  switch (algorithm) {
    case 'CRC32':
      return new Crc32Hasher();
    case 'CRC32C':
      return new Crc32cHasher();
    case 'CRC64NVME':
      return new Crc64NvmeHasher();
    case 'SHA1':
      return new NodeHasher('sha1');
    case 'SHA256':
      return new NodeHasher('sha256');
    case 'MD5':
      return new NodeHasher('md5');
  }
}

/** One-shot base64 checksum of a whole buffer. */
export function checksumOf(algorithm: ChecksumAlgorithm | 'MD5', data: Uint8Array): string {
  const h = createChecksum(algorithm);
  h.update(data);
  return h.digest().toString('base64');
}
