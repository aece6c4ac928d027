/**
 * Signing requests for tests with @smithy/signature-v4 (the SDK's own signer), then sending them with fetch, so a
 * test sees raw status, headers and bodies.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

/** The Checksum constructor SignatureV4 wants, on node:crypto. */
export class Sha256 {
  private readonly h: Hash | Hmac;
  constructor(secret?: string | Uint8Array) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', secret);
  }
  update(data: string | Uint8Array): void {
    this.h.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
  reset(): void {}
}

export interface Creds {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SignOptions {
  url: string;
  method?: string;
  path?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string;
  credentials: Creds;
  service: string;
  region?: string;
  date?: Date;
  /** Presign (query-string auth) instead of the Authorization header. */
  presign?: { expiresIn: number };
}

export interface RawResponse {
  status: number;
  headers: Headers;
  body: string;
}

/** Builds the signed request (method, url, headers, body) as a client would send it. */
export async function signRequest(o: SignOptions): Promise<{ method: string; url: string; headers: Record<string, string>; body: string | undefined }> {
  const u = new URL(o.url);
  const signer = new SignatureV4({ credentials: o.credentials, region: o.region ?? 'us-east-1', service: o.service, sha256: Sha256 as never });
  const request = {
    method: o.method ?? 'POST',
    protocol: u.protocol,
    hostname: u.hostname,
    port: Number(u.port),
    path: o.path ?? '/',
    query: o.query ?? {},
    headers: { host: u.host, ...(o.headers ?? {}) },
    body: o.body,
  };
  const signed = o.presign
    ? await signer.presign(request as never, { expiresIn: o.presign.expiresIn, ...(o.date ? { signingDate: o.date } : {}) })
    : await signer.sign(request as never, o.date ? { signingDate: o.date } : {});
  const s = signed as unknown as typeof request;
  const qs = new URLSearchParams(s.query).toString().replace(/\+/g, '%20');
  return { method: s.method, url: `${u.protocol}//${u.host}${s.path}${qs ? `?${qs}` : ''}`, headers: s.headers, body: s.body };
}

/** Sends a request as built by {@link signRequest} (headers may be altered first). */
export async function send(req: { method: string; url: string; headers: Record<string, string>; body: string | undefined }): Promise<RawResponse> {
  const headers = { ...req.headers };
  delete headers.host;
  const res = await fetch(req.url, { method: req.method, headers, ...(req.body === undefined ? {} : { body: req.body }) });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

/** A signed IAM/STS query call (form POST). */
export async function query(url: string, credentials: Creds, params: Record<string, string>, extra: Partial<SignOptions> = {}): Promise<RawResponse> {
  const service = extra.service ?? 'iam';
  const body = new URLSearchParams({ Version: service === 'iam' ? '2010-05-08' : '2011-06-15', ...params }).toString();
  const req = await signRequest({ url, credentials, service, body, headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, ...extra });
  return send(req);
}

/** The text of an element in an XML body. */
export function xmlText(body: string, element: string): string | undefined {
  return new RegExp(`<${element}>([^<]*)</${element}>`).exec(body)?.[1];
}
