/**
 * Helpers for the webhook server tests: certificates made with `openssl`, ServiceAccounts for a MemoryIdentityStore, HTTPS
 * (HTTP/1.1 and HTTP/2) clients that report the server certificate's fingerprint, and a quiet logger.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as http2Connect } from 'node:http2';
import { request as httpsRequest, Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { X509Certificate } from 'node:crypto';
import { pino } from 'pino';
import type { ServiceAccountInfo } from '../../src/kube/service-account.js';
import type { Logger } from '../../src/lib/log.js';

export const FIXTURES = new URL('../fixtures/eks-webhook/', import.meta.url);

export function tempDir(prefix = 'irsa-webhook-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A CA and a serving certificate for 127.0.0.1/localhost, made with openssl (EC P-256: fast). */
export interface TestPki {
  caCert: string;
  cert: string;
  key: string;
  fingerprint256: string;
}

/** Makes a CA once per `dir` and a new serving cert signed by it on each call (`name` keeps files apart). */
export function makePki(dir: string, name = 'serving'): TestPki {
  const caKey = join(dir, 'ca.key');
  const caCrt = join(dir, 'ca.crt');
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    readFileSync(caCrt);
  } catch {
    run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', caKey]);
    run(['req', '-x509', '-new', '-key', caKey, '-sha256', '-days', '2', '-subj', '/CN=irsa-test-ca', '-out', caCrt]);
  }
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const crt = join(dir, `${name}.crt`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
  run(['req', '-new', '-key', key, '-subj', `/CN=${name}`, '-out', csr]);
  run(['x509', '-req', '-in', csr, '-CA', caCrt, '-CAkey', caKey, '-CAcreateserial', '-days', '2', '-sha256', '-extfile', ext, '-out', crt]);
  const cert = readFileSync(crt, 'utf8');
  return { caCert: readFileSync(caCrt, 'utf8'), cert, key: readFileSync(key, 'utf8'), fingerprint256: new X509Certificate(cert).fingerprint256 };
}

/** A ServiceAccount as a store holds it (for `MemoryIdentityStore.set`). */
export function serviceAccount(namespace: string, name: string, annotations: Record<string, string> = {}): ServiceAccountInfo {
  return { namespace, name, annotations };
}

/** A logger that keeps its JSON lines in memory. */
export function memoryLogger(level: 'debug' | 'info' | 'warn' = 'info'): { logger: Logger; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  const logger = pino({ level, base: {} }, stream);
  return {
    logger,
    lines: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** SHA-256 fingerprint of the certificate the server presented. */
  fingerprint256?: string;
  alpn?: string | false | null;
}

/** One HTTPS/1.1 request (new connection unless `agent` is given). */
export function request1(url: string, options: { method?: string; path: string; body?: string | Buffer; headers?: Record<string, string>; ca: string; agent?: Agent }): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = httpsRequest(
      {
        host: u.hostname,
        port: u.port,
        path: options.path,
        method: options.method ?? 'POST',
        headers: options.headers ?? {},
        ca: options.ca,
        agent: options.agent ?? false,
        ...({ ALPNProtocols: ['http/1.1'] } as object), // passed through to tls.connect (not in the https types)
      },
      (res) => {
        const chunks: Buffer[] = [];
        const socket = res.socket as import('node:tls').TLSSocket;
        const peer = socket.getPeerCertificate?.();
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            ...(peer?.raw ? { fingerprint256: new X509Certificate(peer.raw).fingerprint256 } : {}),
            alpn: socket.alpnProtocol,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** One request over an HTTP/2 session (new session, closed after). */
export function request2(url: string, options: { path: string; body?: string; headers?: Record<string, string>; ca: string; method?: string }): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const session = http2Connect(url, { ca: options.ca });
    session.on('error', reject);
    const stream = session.request({ ':method': options.method ?? 'POST', ':path': options.path, ...(options.headers ?? {}) });
    const chunks: Buffer[] = [];
    let status = 0;
    let headers: Record<string, string | string[] | undefined> = {};
    stream.on('response', (h) => {
      status = Number(h[':status']);
      headers = h as Record<string, string | string[] | undefined>;
    });
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const socket = session.socket as import('node:tls').TLSSocket;
      const peer = socket.getPeerCertificate?.();
      const alpn = session.alpnProtocol ?? null;
      session.close();
      resolve({ status, headers, body: Buffer.concat(chunks).toString('utf8'), alpn, ...(peer?.raw ? { fingerprint256: new X509Certificate(peer.raw).fingerprint256 } : {}) });
    });
    stream.on('error', reject);
    stream.end(options.body);
  });
}

/** The example AdmissionReview from upstream, optionally with TypeMeta and a ServiceAccount name. */
export function exampleReview(opts: { apiVersion?: string | undefined; serviceAccountName?: string; uid?: string } = {}): Record<string, unknown> {
  const review = JSON.parse(readFileSync(new URL('admission-request.example.json', FIXTURES), 'utf8')) as Record<string, any>;
  if (opts.apiVersion !== undefined) review.apiVersion = opts.apiVersion;
  if (opts.serviceAccountName !== undefined) review.request.object.spec.serviceAccountName = opts.serviceAccountName;
  if (opts.uid !== undefined) review.request.uid = opts.uid;
  return review;
}

/** Decodes `response.patch` (base64 JSON Patch) of a response review body. */
export function decodePatch(body: string): unknown[] | undefined {
  const review = JSON.parse(body) as { response: { patch?: string } };
  return review.response.patch === undefined ? undefined : (JSON.parse(Buffer.from(review.response.patch, 'base64').toString('utf8')) as unknown[]);
}

export const ROLE_ARN = 'arn:aws:iam::111122223333:role/s3-reader';
