/**
 * The plane's HTTP(S) listener: one node:http server (and optionally one HTTPS server with the same plane) that
 * reads each raw body within bounds (size, total time, idle time), hands `plane.handle` the request as received
 * and writes the response. Nothing AWS-specific happens here.
 * @module
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { AwsError } from './errors.js';
import type { Plane } from './plane.js';
import type { AwsRequest, AwsResponse } from './service.js';

/** Options of {@link startAwsServer}. */
export interface AwsServerOptions {
  plane: Plane;
  host: string;
  /** HTTP port; 0 picks a free one. */
  port: number;
  /** HTTPS listener with this certificate (PEM), on `tlsPort`. */
  tls?: { cert: string | Buffer; key: string | Buffer; port: number };
  /** Largest body accepted (default 64 MiB). */
  maxBodyBytes?: number;
  /** A request's headers and body must arrive within this time (default 120 s). */
  requestTimeoutMs?: number;
  /** A connection idle this long is closed (default 30 s). */
  idleTimeoutMs?: number;
}

/** A running listener. */
export interface AwsServer {
  /** `http://host:port`. */
  url: string;
  /** `https://host:port` when TLS is on. */
  tlsUrl: string | undefined;
  port: number;
  tlsPort: number | undefined;
  /** Stops accepting, ends idle connections, waits for in-flight requests, flushes the decision log. */
  close(): Promise<void>;
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function rawPairs(req: IncomingMessage): Array<readonly [string, string]> {
  const out: Array<readonly [string, string]> = [];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}

function writeResponse(req: IncomingMessage, res: ServerResponse, out: AwsResponse): void {
  const body = out.body;
  const headers = out.headers; // the plane's own object, made for this response
  if (!(body instanceof Readable)) {
    if (headers['content-length'] === undefined) headers['content-length'] = String(typeof body === 'string' ? Buffer.byteLength(body) : body.length);
    res.writeHead(out.status, headers);
    // a string body goes out in one write with the head (a Buffer would be a second one)
    if (req.method === 'HEAD') res.end();
    else if (typeof body === 'string') res.end(body, 'utf8');
    else res.end(body);
    return;
  }
  res.writeHead(out.status, headers);
  if (req.method === 'HEAD') {
    body.destroy();
    res.end();
    return;
  }
  body.on('error', () => res.destroy());
  body.pipe(res);
}

const EMPTY_BODY = Buffer.alloc(0);

/** Reads a request and answers it through the plane; a body over the bound is answered 413 and the connection closed. */
class Exchange {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private done = false;

  constructor(
    private readonly plane: Plane,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly maxBodyBytes: number,
    private readonly secure: boolean,
  ) {}

  private meta(): Omit<AwsRequest, 'body'> {
    return this.request(EMPTY_BODY);
  }

  private request(body: Buffer): AwsRequest {
    return {
      method: this.req.method ?? 'GET',
      target: this.req.url ?? '/',
      headers: rawPairs(this.req),
      remoteAddress: this.req.socket.remoteAddress ?? '',
      secure: this.secure,
      body,
    };
  }

  start(): void {
    const length = this.req.headers['content-length'];
    const declared = Number(length ?? 0);
    if (declared > this.maxBodyBytes) return this.tooLarge();
    if ((length === undefined || declared === 0) && this.req.headers['transfer-encoding'] === undefined) {
      // no body by HTTP/1.1's rules (RFC 9112 6.3): answer now, as the parser has the whole request already
      this.req.on('error', () => this.res.destroy());
      this.req.resume();
      void this.answer();
      return;
    }
    this.req.on('data', (chunk: Buffer) => {
      if (this.done) return;
      this.size += chunk.length;
      if (this.size > this.maxBodyBytes) return this.tooLarge();
      this.chunks.push(chunk);
    });
    this.req.on('end', () => void this.answer());
    this.req.on('error', () => {
      this.done = true;
      this.res.destroy();
    });
  }

  private tooLarge(): void {
    if (this.done) return;
    this.done = true;
    const err = new AwsError('RequestEntityTooLarge', `Request body is larger than the ${this.maxBodyBytes} bytes this endpoint accepts.`, 413);
    this.res.setHeader('connection', 'close');
    writeResponse(this.req, this.res, this.plane.errorResponse(this.meta(), err));
    this.req.resume();
  }

  private async answer(): Promise<void> {
    if (this.done) return;
    this.done = true;
    // a body that came in one chunk (most do) is that chunk: no copy into a new buffer
    const body = this.size === 0 ? EMPTY_BODY : this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    const out = await this.plane.handle(this.request(body));
    writeResponse(this.req, this.res, out);
  }
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

/**
 * Starts the plane's listener(s).
 * @example
 * const server = await startAwsServer({ plane, host: '127.0.0.1', port: 4566 });
 * process.env[ENV_ENDPOINT_URL] = server.url; // ENV_ENDPOINT_URL from lib/wire-names
 */
export async function startAwsServer(options: AwsServerOptions): Promise<AwsServer> {
  const maxBody = options.maxBodyBytes ?? 64 * 1024 * 1024;
  const serverOptions = { requestTimeout: options.requestTimeoutMs ?? 120_000, headersTimeout: 30_000, keepAliveTimeout: 5_000 };
  const make = (secure: boolean) => (req: IncomingMessage, res: ServerResponse) => new Exchange(options.plane, req, res, maxBody, secure).start();
  const servers: Server[] = [];
  const http = createHttpServer(serverOptions, make(false));
  http.timeout = options.idleTimeoutMs ?? 30_000;
  const port = await listen(http, options.host, options.port);
  servers.push(http);
  let tlsPort: number | undefined;
  try {
    if (options.tls) {
      const https = createHttpsServer({ ...serverOptions, cert: options.tls.cert, key: options.tls.key }, make(true));
      https.timeout = options.idleTimeoutMs ?? 30_000;
      tlsPort = await listen(https, options.host, options.tls.port);
      servers.push(https);
    }
  } catch (err) {
    await closeServer(http);
    throw err;
  }
  const host = hostForUrl(options.host);
  return {
    url: `http://${host}:${port}`,
    tlsUrl: tlsPort === undefined ? undefined : `https://${host}:${tlsPort}`,
    port,
    tlsPort,
    async close() {
      await Promise.all(servers.map(closeServer));
      options.plane.flush();
    },
  };
}
