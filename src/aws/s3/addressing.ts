/**
 * Which bucket and key a request names: virtual-hosted style (`bucket.s3.REGION.amazonaws.com`,
 * `bucket.localhost`, `bucket.<endpoint host>`) or path style (`/bucket/key`). The key is the raw path
 * percent-decoded once, exactly as S3 decodes it (`+` stays `+`, `//` and `..` stay as they are).
 * @module
 */
import { s3Error } from './errors.js';

export interface S3Address {
  bucket: string | undefined;
  key: string | undefined;
}

/** Host suffixes after which the left-most labels are a bucket name. */
const AWS_S3_HOST = /^(.+)\.s3(?:[.-](?:[a-z0-9-]+))?\.amazonaws\.com$/;

/** The bucket named by a Host header (port removed), or `undefined` for a path-style host. */
export function bucketFromHost(host: string, endpointHosts: readonly string[] = []): string | undefined {
  const name = host.replace(/:\d+$/, '').toLowerCase();
  const aws = AWS_S3_HOST.exec(name);
  if (aws !== null) return aws[1];
  if (name === 's3.amazonaws.com' || name.startsWith('s3.') || name.startsWith('s3-')) return undefined;
  for (const base of ['localhost', ...endpointHosts]) {
    const b = base.toLowerCase();
    if (name.length > b.length + 1 && name.endsWith(`.${b}`)) return name.slice(0, -(b.length + 1));
  }
  return undefined;
}

function decodePath(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch (err) {
    throw s3Error('InvalidURI', { message: "Couldn't parse the specified URI.", extra: [['URI', raw.slice(0, 1024)]], cause: err });
  }
}

/**
 * Splits a request into bucket and key.
 * @example
 * resolveAddress('127.0.0.1:4566', '/demo/a%20b/c') // { bucket: 'demo', key: 'a b/c' }
 * resolveAddress('demo.localhost:4566', '/a/b')      // { bucket: 'demo', key: 'a/b' }
 */
export function resolveAddress(
  host: string,
  rawPath: string,
  endpointHosts: readonly string[] = [],
  /** {@link bucketFromHost} over the same endpoint hosts, e.g. with its answers kept per host. */
  bucketOfHost: (host: string) => string | undefined = (h) => bucketFromHost(h, endpointHosts),
): S3Address {
  const path = rawPath.startsWith('/') ? rawPath.slice(1) : rawPath;
  const hostBucket = bucketOfHost(host);
  if (hostBucket !== undefined) return { bucket: hostBucket, key: path === '' ? undefined : decodePath(path) };
  if (path === '') return { bucket: undefined, key: undefined };
  const slash = path.indexOf('/');
  if (slash < 0) return { bucket: decodePath(path), key: undefined };
  const key = path.slice(slash + 1);
  return { bucket: decodePath(path.slice(0, slash)), key: key === '' ? undefined : decodePath(key) };
}
