/**
 * S3's naming rules: which bucket names CreateBucket accepts, and the object-key limit.
 * @module
 */
import { isIP } from 'node:net';

/** S3's key limit, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/**
 * True when S3 would accept `name` for a new bucket: 3–63 characters of lowercase letters, digits, `.` and `-`,
 * beginning and ending with a letter or digit, no `..`, not an IPv4 address, no reserved prefix or suffix.
 * @example
 * isValidBucketName('my-bucket') // true
 */
export function isValidBucketName(name: string): boolean {
  if (name.length < 3 || name.length > 63) return false;
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) return false;
  if (name.includes('..') || name.includes('.-') || name.includes('-.')) return false;
  if (isIP(name) === 4) return false;
  if (name.startsWith('xn--') || name.startsWith('sthree-') || name.startsWith('amzn-s3-demo-')) return false;
  if (name.endsWith('-s3alias') || name.endsWith('--ol-s3') || name.endsWith('.mrap') || name.endsWith('--x-s3')) return false;
  return true;
}

/** True when an existing-bucket reference is shaped like a bucket name at all (S3 is laxer here than on create). */
export function isBucketReference(name: string): boolean {
  return name.length >= 1 && name.length <= 255 && /^[A-Za-z0-9._-]+$/.test(name);
}
