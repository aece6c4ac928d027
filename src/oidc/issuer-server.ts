/**
 * Serving the discovery document and JWKS: a pure request handler (`handleIssuerRequest`) and a thin Node HTTP(S)
 * adapter (`createIssuerServer`), with kube-apiserver's cache policy, strong ETags and conditional GET.
 * @module
 */
import { createHash } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { ISSUER_CACHE_CONTROL } from './constants.js';
import { assertPemKeyStrength } from './keys.js';
import type { IssuerFile } from './discovery.js';

interface SiteEntry {
  body: Buffer;
  contentType: string;
  etag: string;
}

/** The documents of one issuer, indexed by request path, ETags computed once. */
export interface IssuerSite {
  issuer: string;
  entries: ReadonlyMap<string, SiteEntry>;
}

/**
 * Indexes an issuer's files by the paths relying parties request: under the issuer's path
 * (`/cluster-1/.well-known/openid-configuration`) and, like kube-apiserver, at the root.
 * @example
 * const site = createIssuerSite(docs.issuer, docs.files);
 */
export function createIssuerSite(issuer: string, files: readonly IssuerFile[]): IssuerSite {
  const prefix = new URL(issuer).pathname.replace(/\/+$/, '');
  const entries = new Map<string, SiteEntry>();
  for (const file of files) {
    const body = Buffer.from(file.body);
    const entry = { body, contentType: file.contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"` };
    entries.set(`${prefix}/${file.path}`, entry);
    if (!entries.has(`/${file.path}`)) entries.set(`/${file.path}`, entry);
  }
  return { issuer, entries };
}

export interface IssuerRequest {
  method: string;
  /** Request target; a query string is ignored. */
  url: string;
  ifNoneMatch?: string;
}

export interface IssuerResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

const EMPTY = Buffer.alloc(0);

function matchesEtag(header: string, etag: string): boolean {
  return header.split(',').some((raw) => {
    const tag = raw.trim();
    return tag === '*' || tag === etag || tag === `W/${etag}`;
  });
}

/**
 * Answers one request (no I/O): 200 with the document, 304 when `If-None-Match` matches, 404, or 405.
 * @example
 * handleIssuerRequest(site, { method: 'GET', url: '/keys.json' }).status // 200
 */
export function handleIssuerRequest(site: IssuerSite, request: IssuerRequest): IssuerResponse {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return { status: 405, headers: { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }, body: Buffer.from('method not allowed\n') };
  }
  const path = request.url.split(/[?#]/, 1)[0] ?? '/';
  const entry = site.entries.get(path);
  if (!entry) return { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: Buffer.from('404 page not found\n') };
  const headers = { 'cache-control': ISSUER_CACHE_CONTROL, etag: entry.etag, 'content-type': entry.contentType };
  if (request.ifNoneMatch !== undefined && matchesEtag(request.ifNoneMatch, entry.etag)) return { status: 304, headers, body: EMPTY };
  return { status: 200, headers: { ...headers, 'content-length': String(entry.body.length) }, body: request.method === 'HEAD' ? EMPTY : entry.body };
}

/**
 * A Node `request` listener over a site; `getSite` is called per request so the site can be swapped (key rotation).
 * @example
 * http.createServer(createIssuerRequestListener(() => site));
 */
export function createIssuerRequestListener(getSite: () => IssuerSite): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const inm = req.headers['if-none-match'];
    const response = handleIssuerRequest(getSite(), { method: req.method ?? 'GET', url: req.url ?? '/', ...(inm !== undefined ? { ifNoneMatch: inm } : {}) });
    res.writeHead(response.status, response.headers);
    res.end(response.body);
  };
}

export interface CreateIssuerServerOptions {
  site: IssuerSite;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** PEM certificate chain and key: serve https. */
  tls?: { cert: string | Buffer; key: string | Buffer };
}

/** A started issuer server. */
export interface IssuerServer {
  server: Server;
  /** Base URL it listens on, e.g. `http://127.0.0.1:43121`. */
  url: string;
  port: number;
  /** Replaces the served documents (after key rotation). */
  update(site: IssuerSite): void;
  close(): Promise<void>;
}

/**
 * Starts serving an issuer's documents (used by `irsa oidc serve` and `irsa up`).
 * @example
 * const docs = buildIssuerDocuments({ issuer, publicKeys: [key.publicKey] });
 * const srv = await createIssuerServer({ site: createIssuerSite(docs.issuer, docs.files), port: 0 });
 * // … await srv.close();
 */
export async function createIssuerServer(options: CreateIssuerServerOptions): Promise<IssuerServer> {
  let site = options.site;
  if (options.tls) assertPemKeyStrength(options.tls.key, 'tls.key');
  const listener = createIssuerRequestListener(() => site);
  const server: Server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, listener) : createHttpServer(listener);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    server,
    url: `${options.tls ? 'https' : 'http'}://${shownHost}:${port}`,
    port,
    update(next) {
      site = next;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections?.();
      }),
  };
}
