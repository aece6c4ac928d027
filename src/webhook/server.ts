/**
 * The webhook's two servers: HTTPS (HTTP/1.1 and HTTP/2 via ALPN) with `/mutate`, `/healthz`, `/readyz` (and
 * debug routes), and plain-HTTP metrics with `/metrics` (and the debug cache dump). Metrics and the access log
 * wrap the admission handler; TLS certificates reload from files; `shutdown()` drains in-flight requests.
 * @module
 */
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { constants as http2Constants, createSecureServer, type Http2SecureServer, type Http2ServerRequest, type Http2ServerResponse, type ServerHttp2Session } from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '../lib/log.js';
import { decodeAdmissionReview, encodeAdmissionReview, type DecodedAdmissionReview } from './admission.js';
import { AdmissionReviewError } from './errors.js';
import { scanAdmissionReview } from './review-scan.js';
import type { MutationSettings } from './constants.js';
import { createAdmissionHandler, engineFailureWarning, type AdmissionHandler, type AdmissionOutcome } from './handler.js';
import type { IdentityStore } from './identity-store.js';
import { createWebhookMetrics, type PodIdentityMethod, type WebhookMetrics } from './metrics.js';
import { createMetricsPortServer, type IdentityStoreExtras } from './metrics-server.js';
import { CertificateReloader, loadCertificatePair, tlsSettingsFromFlags, type CertificatePair } from './tls.js';

/** The API server's own request size limit: no AdmissionReview can be larger. */
export const MAX_REVIEW_BYTES = 3 * 1024 * 1024;

/**
 * Limits that keep the server inside its Deployment's 256Mi memory limit under slow or idle clients (defaults of
 * the `WebhookServerConfig` fields of the same names; docs/security.md gives the arithmetic).
 */
export const SERVER_LIMIT_DEFAULTS = {
  /** Request bytes being read or admitted plus response bytes not yet sent, all connections together. */
  maxBufferedBytes: 32 * 1024 * 1024,
  /** The same for one HTTP/2 session (holds one maximal review and its response). */
  maxSessionBufferedBytes: 8 * 1024 * 1024,
  /** Concurrent TCP connections (an idle TLS connection costs about 50 KB). */
  maxConnections: 1000,
  /** Idle keep-alive HTTP/1.1 connections and idle HTTP/2 sessions are closed after this long (Go servers commonly use 90 s). */
  idleTimeoutMs: 90_000,
  /** A connection that completes no TLS handshake within this is dropped. */
  handshakeTimeoutMs: 10_000,
  /** After a 413/503 on HTTP/1.1, the rest of the body is read and discarded up to this many bytes, then the connection is closed. */
  discardBytes: 8 * 1024 * 1024,
} as const;

export interface WebhookServerConfig {
  /** Interface to listen on; default all interfaces (as upstream's `:<port>`). Tests use 127.0.0.1. */
  host?: string;
  /** `--port` (0 = any free port). */
  port: number;
  /** `--metrics-port` (0 = any free port; -1 = no metrics server). */
  metricsPort: number;
  /** `--tls-cert`, `--tls-key`: PEM files, reloaded when they change. */
  tlsCertFile: string;
  tlsKeyFile: string;
  /** `--tls-min-version`, `--tls-cipher-suites` as upstream spells them ('' = defaults). */
  tlsMinVersion?: string;
  tlsCipherSuites?: string;
  /** The mutation flags. */
  settings: MutationSettings;
  /** `--service-account-lookup-grace-period` in ms (the store waits; used here for the miss warning). */
  lookupGracePeriodMs: number;
  /** `--enable-debugging-handlers`. */
  enableDebuggingHandlers?: boolean;
  /** Body cap (default 3 MiB, answered 413). */
  maxBodyBytes?: number;
  /** Time to receive a request's headers (HTTP/1.1; default 10 s, checked every second or every tenth of it). */
  headersTimeoutMs?: number;
  /** `--max-connections`: concurrent TCP connections; more are closed at once (default 1000). */
  maxConnections?: number;
  /** Sets `x-irsa-worker: <value>` on every response (a hidden test switch showing which worker answered). */
  workerHeader?: string;
  /** `--idle-timeout`: closes keep-alive HTTP/1.1 connections and HTTP/2 sessions idle this long (default 90 s). */
  idleTimeoutMs?: number;
  /** Drops a TCP connection that completes no TLS handshake within this (default 10 s). */
  handshakeTimeoutMs?: number;
  /** Request + response bytes held for all connections; past it new requests/streams are refused (default 32 MiB). */
  maxBufferedBytes?: number;
  /** The same for one HTTP/2 session (default 8 MiB). */
  maxSessionBufferedBytes?: number;
  /** Time to receive a whole request (default 30 s, the API server's longest webhook timeout). */
  requestTimeoutMs?: number;
  /** How long `shutdown()` waits for in-flight requests before closing connections (default 10 s, as upstream). */
  shutdownTimeoutMs?: number;
  /** Periodic certificate re-read besides file events (default 10 s; 0 = events only). */
  certificatePollIntervalMs?: number;
  /**
   * Watch the certificate files (default true). False: the certificate changes only through `useCertificate`
   * (a `--workers` worker, whose primary watches the files).
   */
  watchCertificateFiles?: boolean;
  /** Log the `webhook listening` line (default true; a `--workers` worker leaves it to its primary). */
  announce?: boolean;
  /** Add `process_*`/`nodejs_*` metrics (default true). */
  processMetrics?: boolean;
}

export interface WebhookServerDeps {
  store: IdentityStore & IdentityStoreExtras;
  logger: Logger;
  /** Monotonic milliseconds for latencies (default `performance.now`). */
  clock?: () => number;
  /** Random source in [0, 1) for the container-credentials jitter (default `Math.random`). */
  random?: () => number;
  /** Metrics created beforehand (so the store could be given `metrics.storeEvents`); default: new ones over `store`. */
  metrics?: WebhookMetrics;
}

/** The outcome of `shutdown()`: `forced` when in-flight requests outlived the timeout and were cut. */
export interface ShutdownResult {
  forced: boolean;
}

/** A running webhook. */
export interface WebhookServer {
  /** `https://host:port` of the admission server. */
  url: string;
  port: number;
  /** `http://host:port` of the metrics server (undefined when disabled). */
  metricsUrl: string | undefined;
  metricsPort: number | undefined;
  metrics: WebhookMetrics;
  /** The serving certificate now in use. */
  certificate(): CertificatePair;
  /** Re-reads the certificate files now (also done on file events and every poll interval). */
  reloadCertificate(): Promise<void>;
  /** Serves `pair` to new handshakes from now on (a pair already checked, e.g. by the `--workers` primary). */
  useCertificate(pair: CertificatePair): void;
  /** Requests being handled right now. */
  inFlight(): number;
  /** Request and response bytes held right now (what `maxBufferedBytes` bounds). */
  bufferedBytes(): number;
  /** Stops accepting, lets in-flight requests finish (up to the timeout), closes both servers. Idempotent. */
  shutdown(timeoutMs?: number): Promise<ShutdownResult>;
}

type AnyRequest = IncomingMessage | Http2ServerRequest;
type AnyResponse = ServerResponse | Http2ServerResponse;

const TEXT = 'text/plain; charset=utf-8';
/** Upstream's `/debug/alpha/deny` answer (a v1beta1-shaped review without TypeMeta). */
const DEBUG_DENY_BODY = '{"response":{"uid":"","allowed":false,"status":{"metadata":{},"message":"Test deny message"}}}';
const CONTENT_TYPE_ERROR = 'Invalid Content-Type, expected `application/json`\n';

/**
 * Upstream requires exactly `application/json`; we also take a `charset=utf-8` parameter (some clients add it,
 * upstream answers them 415 — spec 12/14). Every parameter must be `charset=utf-8` (any case, optionally quoted);
 * an empty or malformed parameter (`application/json;`, `; x`, `; =x`) is refused.
 *
 * Hand-written on purpose, not `util.MIMEType`: MIMEType follows the WHATWG sniffing rules, which drop malformed
 * parameters silently and keep only the first of repeated ones. Through it `application/json;`, `; x`,
 * `; charset=utf-8; charset=latin1` and `; charset =latin1` (the name with a space is dropped) would be accepted,
 * and `; charset= utf-8` refused. A wrapper keeping these answers would have to split the parameters again itself,
 * i.e. this parser plus MIMEType.
 */
export function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  if (value === 'application/json') return true;
  const semi = value.indexOf(';');
  if (semi < 0) return value.trim().toLowerCase() === 'application/json';
  if (value.slice(0, semi).trim().toLowerCase() !== 'application/json') return false;
  const params = value.slice(semi + 1).split(';');
  for (const param of params) {
    const [k, v] = param.split('=');
    if (k === undefined || v === undefined) return false;
    if (k.trim().toLowerCase() !== 'charset') return false;
    if (v.trim().replace(/^"|"$/g, '').toLowerCase() !== 'utf-8') return false;
  }
  return true;
}

function sendText(res: AnyResponse, status: number, body: string, extra?: Record<string, string>): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const headers: Record<string, string | number> = { 'content-type': TEXT, 'content-length': Buffer.byteLength(body), ...extra };
  res.writeHead(status, headers);
  res.end(body);
}

function listen(server: HttpServer | Http2SecureServer, port: number, host: string | undefined): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolvePort((server.address() as AddressInfo).port);
    });
  });
}

function urlHost(host: string | undefined): string {
  if (host === undefined || host === '' || host === '0.0.0.0' || host === '::') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

function modeLabel(mode: string): PodIdentityMethod {
  return mode === 'container-credentials' ? 'container_credentials' : 'sts_web_identity';
}

/** What every request of one server shares (set once; the request path reads it instead of closing over it). */
class ServerState {
  shuttingDown = false;
  active = 0;
  readonly drainWaiters = new Set<() => void>();
  readonly sessions = new Set<ServerHttp2Session>();
  /** HTTP/1.1 socket → requests in flight on it. */
  readonly http1Sockets = new Map<Socket, number>();
  /** HTTP/1.1 responses in flight, to add `connection: close` when shutdown starts mid-request. */
  readonly http1Responses = new Set<AnyResponse>();
  readonly debug: boolean;
  readonly lookupGracePeriodMs: number;
  readonly workerHeader: string | undefined;
  /** Request bytes being read or admitted and response bytes not yet sent, all connections. */
  buffered = 0;
  readonly maxBuffered: number;
  readonly maxSessionBuffered: number;
  readonly discardBytes: number;

  constructor(
    readonly store: IdentityStore & IdentityStoreExtras,
    readonly logger: Logger,
    readonly metrics: WebhookMetrics,
    readonly handler: AdmissionHandler,
    config: WebhookServerConfig,
    readonly clock: () => number,
    readonly maxBody: number,
    readonly requestTimeoutMs: number,
  ) {
    this.debug = config.enableDebuggingHandlers === true;
    this.lookupGracePeriodMs = config.lookupGracePeriodMs;
    this.workerHeader = config.workerHeader;
    this.maxBuffered = config.maxBufferedBytes ?? SERVER_LIMIT_DEFAULTS.maxBufferedBytes;
    this.maxSessionBuffered = config.maxSessionBufferedBytes ?? SERVER_LIMIT_DEFAULTS.maxSessionBufferedBytes;
    this.discardBytes = SERVER_LIMIT_DEFAULTS.discardBytes;
  }
}

const kExchange = Symbol('irsa.exchange');
/** Bytes held by one HTTP/2 session's exchanges (a number on the session object). */
const kSessionBuffered = Symbol('irsa.sessionBuffered');

type AccountedSession = ServerHttp2Session & { [kSessionBuffered]?: number };

/** One request/response pair on its way through the server (all fields set up front: one shape, no closures). */
class Exchange {
  readonly start: number;
  readonly path: string;
  readonly socket: Socket | undefined;
  /** The HTTP/2 session (undefined on HTTP/1.1). */
  readonly session: AccountedSession | undefined;
  /** Bytes this exchange counts in `state.buffered` (and its session's): the request body, then the response. */
  held = 0;
  chunks: Buffer[] = [];
  size = 0;
  /** The body is complete or abandoned. */
  done = false;
  /** Metrics and access log were written. */
  finished = false;
  timer: NodeJS.Timeout | undefined = undefined;

  constructor(
    readonly state: ServerState,
    readonly req: AnyRequest,
    readonly res: AnyResponse,
  ) {
    this.start = state.clock();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    this.path = q < 0 ? url : url.slice(0, q);
    this.socket = req.httpVersionMajor === 1 ? (req.socket as Socket) : undefined;
    this.session = req.httpVersionMajor === 1 ? undefined : (req as Http2ServerRequest).stream.session as AccountedSession;
  }

  /** Counts `bytes` more as held by this exchange. */
  hold(bytes: number): void {
    this.held += bytes;
    this.state.buffered += bytes;
    if (this.session !== undefined) this.session[kSessionBuffered] = (this.session[kSessionBuffered] ?? 0) + bytes;
  }

  /** Stops counting what this exchange held (response sent or exchange gone). Idempotent. */
  release(): void {
    if (this.held === 0) return;
    this.state.buffered -= this.held;
    if (this.session !== undefined) this.session[kSessionBuffered] = (this.session[kSessionBuffered] ?? 0) - this.held;
    this.held = 0;
  }

  /** The request's bytes are garbage once its response is encoded: count the response's instead, until it is sent. */
  holdResponse(bytes: number): void {
    this.release();
    this.hold(bytes);
  }

  /** Which buffered-bytes limit taking `more` bytes would pass, if any. */
  overLimit(more: number): 'session_buffer' | 'total_buffer' | undefined {
    const { state } = this;
    if (this.session !== undefined && (this.session[kSessionBuffered] ?? 0) + more > state.maxSessionBuffered) return 'session_buffer';
    if (state.buffered + more > state.maxBuffered) return 'total_buffer';
    return undefined;
  }

  /** Records the request once: upstream's HTTP metrics (instrumented routes only) and the access log line. */
  finish(status: number, uid?: string, instrumented = true): void {
    if (this.finished) return;
    this.finished = true;
    const { metrics, logger } = this.state;
    const seconds = this.seconds();
    if (instrumented) metrics.observeRequest(this.req.method ?? 'GET', this.path, status, seconds);
    if (logger.isLevelEnabled('debug')) {
      const req = this.req;
      logger.debug({ method: req.method, path: req.url, status, protocol: `HTTP/${req.httpVersion}`, userAgent: req.headers['user-agent'], bodyBytes: this.size, durationMs: Math.round(seconds * 1e6) / 1000, uid }, 'request');
    }
  }

  seconds(): number {
    return (this.state.clock() - this.start) / 1000;
  }
}

function exchangeOf(emitter: object): Exchange {
  return (emitter as { [kExchange]: Exchange })[kExchange];
}

function onRequest(state: ServerState, req: AnyRequest, res: AnyResponse): void {
  const ex = new Exchange(state, req, res);
  (res as unknown as { [kExchange]: Exchange })[kExchange] = ex;
  state.active++;
  if (ex.socket !== undefined) {
    state.http1Sockets.set(ex.socket, (state.http1Sockets.get(ex.socket) ?? 0) + 1);
    if (state.shuttingDown) res.setHeader('connection', 'close');
    else state.http1Responses.add(res);
  }
  res.once('close', onResponseClose);
  if (state.workerHeader !== undefined) res.setHeader('x-irsa-worker', state.workerHeader);
  switch (ex.path) {
    case '/mutate':
      startMutate(ex);
      return;
    case '/healthz':
      req.resume();
      sendText(res, 200, 'ok');
      ex.finish(200, undefined, false);
      return;
    case '/readyz': {
      req.resume();
      const ready = state.store.isSynced() && !state.shuttingDown;
      sendText(res, ready ? 200 : 503, ready ? 'ok' : state.shuttingDown ? 'shutting down' : 'not ready: ServiceAccounts not synced yet');
      ex.finish(ready ? 200 : 503, undefined, false);
      return;
    }
    default:
      req.resume();
      if (state.debug && ex.path === '/debug/alpha/deny') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(DEBUG_DENY_BODY);
        ex.finish(200);
        return;
      }
      if (state.debug && ex.path === '/debug/alpha/500') {
        sendText(res, 500, 'test error\n');
        ex.finish(500);
        return;
      }
      sendText(res, 404, '404 page not found\n');
      ex.finish(404, undefined, false);
  }
}

function onResponseClose(this: AnyResponse): void {
  const ex = exchangeOf(this);
  const { state, socket } = ex;
  if (!ex.finished) ex.finish(499);
  if (ex.timer !== undefined) clearTimeout(ex.timer);
  // HTTP/1.1 'close' comes when the response is handed to the socket: keep counting it until the socket drains.
  if (socket !== undefined && ex.held > 0 && socket.writableLength > 0 && !socket.destroyed) {
    const release = (): void => ex.release();
    socket.once('drain', release);
    socket.once('close', release);
  } else ex.release();
  state.active--;
  if (socket !== undefined) {
    state.http1Responses.delete(this);
    const n = (state.http1Sockets.get(socket) ?? 1) - 1;
    if (state.http1Sockets.has(socket)) state.http1Sockets.set(socket, n);
    if (state.shuttingDown && n === 0) socket.end();
  }
  if (state.active === 0) for (const w of state.drainWaiters) w();
}

/** `/mutate`: content type → body (capped, timed) → decode → admit → encode. */
function startMutate(ex: Exchange): void {
  const { req, res, state } = ex;
  if (!isJsonContentType(req.headers['content-type'])) {
    req.resume();
    sendText(res, 415, CONTENT_TYPE_ERROR, { 'x-content-type-options': 'nosniff' });
    ex.finish(415);
    return;
  }
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > state.maxBody) {
    tooLarge(ex, Number(declared));
    return;
  }
  const over = ex.overLimit(0);
  if (over !== undefined) {
    refuse(ex, over);
    return;
  }
  (req as unknown as { [kExchange]: Exchange })[kExchange] = ex;
  ex.timer = setTimeout(onBodyTimeout, state.requestTimeoutMs, ex);
  req.on('data', onBodyData);
  req.on('error', onBodyError);
  req.on('end', onBodyEnd);
}

function onBodyTimeout(ex: Exchange): void {
  ex.timer = undefined;
  if (ex.done) return;
  ex.done = true;
  sendText(ex.res, 408, 'request body not received in time\n', ex.socket !== undefined ? { connection: 'close' } : undefined);
  ex.finish(408);
  ex.req.destroy();
}

function onBodyData(this: AnyRequest, chunk: Buffer): void {
  const ex = exchangeOf(this);
  if (ex.done) return;
  ex.size += chunk.length;
  if (ex.size > ex.state.maxBody) {
    ex.done = true;
    ex.release();
    tooLarge(ex, ex.size);
    return;
  }
  const over = ex.overLimit(chunk.length);
  if (over !== undefined) {
    ex.done = true;
    ex.chunks = [];
    ex.release();
    refuse(ex, over);
    return;
  }
  ex.hold(chunk.length);
  ex.chunks.push(chunk);
}

function onBodyError(this: AnyRequest): void {
  const ex = exchangeOf(this);
  if (ex.done) return;
  ex.done = true;
  ex.finish(499);
}

function onBodyEnd(this: AnyRequest): void {
  const ex = exchangeOf(this);
  if (ex.done) return;
  ex.done = true;
  if (ex.timer !== undefined) {
    clearTimeout(ex.timer);
    ex.timer = undefined;
  }
  const body = ex.chunks.length === 1 ? ex.chunks[0]! : Buffer.concat(ex.chunks, ex.size);
  ex.chunks = [];
  let review: DecodedAdmissionReview;
  try {
    // The fast path reads only what the mutation needs; anything unusual gets the full decode (and its errors).
    review = scanAdmissionReview(body) ?? decodeAdmissionReview(body);
  } catch (err) {
    const message = err instanceof AdmissionReviewError ? err.message : `cannot decode the AdmissionReview: ${(err as Error).message}`;
    sendText(ex.res, 400, `${message}\n`);
    ex.state.metrics.observeAdmission('invalid', ex.seconds());
    ex.finish(400);
    return;
  }
  startAdmit(ex, review);
}

async function admit(ex: Exchange, review: DecodedAdmissionReview): Promise<void> {
  const { state, res } = ex;
  let outcome: AdmissionOutcome;
  try {
    outcome = await state.handler.admit(review);
  } catch (err) {
    // Our own trouble (e.g. the store failed): never deny the pod; the API server applies failurePolicy.
    state.logger.error({ err, uid: review.request.uid }, 'admission failed');
    internalError(ex, review.request.uid);
    return;
  }
  let payload: string;
  try {
    payload = encodeAdmissionReview(review, outcome.response);
  } catch (err) {
    // Unreachable for a body within MAX_JSON_DEPTH; if the patch cannot be encoded, admit unchanged as for an engine failure.
    outcome.error = err instanceof Error ? err : new Error(String(err));
    outcome.errorStage = 'encode';
    outcome.identity = undefined;
    outcome.response = { uid: outcome.response.uid, allowed: true, warnings: [engineFailureWarning(outcome.error)] };
    payload = encodeAdmissionReview(review, outcome.response);
  }
  if (!res.headersSent && !res.writableEnded) {
    try {
      const bytes = Buffer.byteLength(payload);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': bytes });
      ex.holdResponse(bytes);
      res.end(payload);
    } catch (err) {
      state.logger.debug({ err, uid: review.request.uid }, 'client went away before the response');
    }
  }
  recordAdmission(state, outcome);
  state.metrics.observeAdmission(outcome.response.patch !== undefined ? 'mutated' : 'unchanged', ex.seconds());
  ex.finish(200, review.request.uid);
}

/** The last resort of every admission: a 500 (the API server applies failurePolicy), logged and counted. */
function internalError(ex: Exchange, uid: string | undefined): void {
  try {
    sendText(ex.res, 500, 'internal error while admitting the pod\n');
  } catch {
    ex.res.destroy();
  }
  ex.state.metrics.observeAdmission('error', ex.seconds());
  ex.finish(500, uid);
}

/** Runs an admission; whatever escapes it is logged and answered 500, never an unhandled rejection. */
function startAdmit(ex: Exchange, review: DecodedAdmissionReview): void {
  admit(ex, review).catch((err: unknown) => {
    ex.state.logger.error({ err, uid: review.request.uid }, 'admission failed');
    internalError(ex, review.request.uid);
  });
}

function tooLarge(ex: Exchange, size: number): void {
  ex.size = size;
  if (ex.socket !== undefined) discardThenClose(ex.state, ex.socket);
  sendText(ex.res, 413, `request body too large: ${size} bytes, the limit is ${ex.state.maxBody} bytes (the API server's own limit)\n`, ex.socket !== undefined ? { connection: 'close' } : undefined);
  ex.finish(413);
  ex.req.resume();
}

/**
 * Refuses a request over a buffered-bytes limit: an HTTP/2 stream is reset with REFUSED_STREAM (clients such as the
 * API server's retry it, on this or another connection); HTTP/1.1 gets 503 with Retry-After and the connection closes.
 */
function refuse(ex: Exchange, reason: 'session_buffer' | 'total_buffer'): void {
  const { state } = ex;
  state.metrics.refused.labels(reason).inc();
  if (state.logger.isLevelEnabled('debug')) state.logger.debug({ reason, buffered: state.buffered, session: ex.session?.[kSessionBuffered] }, 'request refused: buffered bytes over the limit');
  if (ex.socket === undefined) {
    ex.finish(503);
    (ex.req as Http2ServerRequest).stream.close(http2Constants.NGHTTP2_REFUSED_STREAM);
    return;
  }
  discardThenClose(state, ex.socket);
  sendText(ex.res, 503, 'webhook busy: too many request bytes in flight; retry\n', { connection: 'close', 'retry-after': '1' });
  ex.finish(503);
  ex.req.resume();
}

/**
 * After an early answer on HTTP/1.1 (413, 503) the client may still be sending its body: closing at once would reset
 * the connection and the client would lose the answer. Half-close instead (FIN after the answer), read and discard
 * up to `discardBytes` (or until the request timeout), then close.
 */
function discardThenClose(state: ServerState, socket: Socket): void {
  let discarded = 0;
  // Node closes the socket right after a `connection: close` response; end it (FIN) and keep reading instead.
  (socket as Socket & { destroySoon(): void }).destroySoon = function destroySoonAfterDiscard(this: Socket): void {
    this.end();
  };
  const timer = setTimeout(() => socket.destroy(), Math.min(state.requestTimeoutMs, 10_000));
  timer.unref();
  socket.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > state.discardBytes) socket.destroy();
  });
  socket.once('close', () => clearTimeout(timer));
}

/** Metrics and logs of one admission, from its outcome (the handler itself neither counts nor logs). */
function recordAdmission(state: ServerState, outcome: AdmissionOutcome): void {
  const { metrics, logger } = state;
  if (outcome.lookup !== 'skipped') metrics.countLookup(outcome.lookup);
  if (outcome.identity !== undefined) metrics.countPod(modeLabel(outcome.identity.mode), outcome.response.patch !== undefined);
  if (outcome.missedServiceAccount) {
    metrics.missingServiceAccounts.inc();
    logger.warn({ pod: outcome.podName, namespace: outcome.namespace, serviceAccount: outcome.serviceAccountName, uid: outcome.response.uid, gracePeriodMs: state.lookupGracePeriodMs }, 'ServiceAccount not found after the lookup grace period; pod admitted without AWS credentials');
  }
  if (outcome.error !== undefined) {
    const stage = outcome.errorStage ?? 'mutate';
    metrics.mutationErrors.labels(stage).inc();
    logger.error({ err: outcome.error, stage, pod: outcome.podName, namespace: outcome.namespace, serviceAccount: outcome.serviceAccountName, uid: outcome.response.uid }, 'mutation failed; pod admitted unchanged');
  }
  if (outcome.identity !== undefined && outcome.response.patch !== undefined && logger.isLevelEnabled('debug')) {
    logger.debug({ pod: outcome.podName, namespace: outcome.namespace, serviceAccount: outcome.serviceAccountName, mode: outcome.identity.mode, source: outcome.identity.source }, 'pod mutated');
  }
}

/**
 * Starts the admission server (TLS) and the metrics server. Resolves once both listen; rejects with a clear
 * error if the certificate files are unusable, a TLS flag is invalid or a port is taken.
 * @example
 * const server = await startWebhookServer(
 *   { port: 8443, metricsPort: 9999, tlsCertFile: 'tls.crt', tlsKeyFile: 'tls.key', settings: defaultMutationSettings(), lookupGracePeriodMs: 2000 },
 *   { store, logger },
 * );
 * process.once('SIGTERM', () => void server.shutdown());
 */
export async function startWebhookServer(config: WebhookServerConfig, deps: WebhookServerDeps): Promise<WebhookServer> {
  const { store, logger } = deps;
  const clock = deps.clock ?? (() => performance.now());
  const maxBody = config.maxBodyBytes ?? MAX_REVIEW_BYTES;
  const requestTimeoutMs = config.requestTimeoutMs ?? 30_000;
  const debug = config.enableDebuggingHandlers === true;
  const tlsSettings = tlsSettingsFromFlags({ tlsMinVersion: config.tlsMinVersion ?? '', tlsCipherSuites: config.tlsCipherSuites ?? '' });
  const initialPair = await loadCertificatePair(config.tlsCertFile, config.tlsKeyFile, tlsSettings);

  const metrics = deps.metrics ?? createWebhookMetrics({ source: store, processMetrics: config.processMetrics ?? true });
  const reloader = new CertificateReloader(initialPair, {
    certFile: config.tlsCertFile,
    keyFile: config.tlsKeyFile,
    settings: tlsSettings,
    logger,
    pollIntervalMs: config.certificatePollIntervalMs ?? 10_000,
    onReload: (outcome) => metrics.certificateReloads.labels(outcome).inc(),
  });
  const handler = createAdmissionHandler({
    store,
    settings: config.settings,
    lookupGracePeriodMs: config.lookupGracePeriodMs,
    ...(deps.random !== undefined ? { random: deps.random } : {}),
  });

  const state = new ServerState(store, logger, metrics, handler, config, clock, maxBody, requestTimeoutMs);

  // noDelay: Node's https server sets it, an http2 server does not; without it Nagle holds back response segments.
  const handshakeTimeout = config.handshakeTimeoutMs ?? SERVER_LIMIT_DEFAULTS.handshakeTimeoutMs;
  const server = createSecureServer({ ...reloader.secureContextOptions(), allowHTTP1: true, noDelay: true, handshakeTimeout } as Parameters<typeof createSecureServer>[0]);
  server.maxConnections = config.maxConnections ?? SERVER_LIMIT_DEFAULTS.maxConnections;
  const idleTimeoutMs = config.idleTimeoutMs ?? SERVER_LIMIT_DEFAULTS.idleTimeoutMs;
  // Inactivity timeout of HTTP/1.1 sockets and HTTP/2 sessions (idle keep-alive included); no 'timeout' listener, so Node closes them.
  server.setTimeout(idleTimeoutMs);
  // Node applies these to the HTTP/1.1 connections of an allowHTTP1 server (not in @types/node).
  const http1Limits = server as unknown as { headersTimeout: number; requestTimeout: number; keepAliveTimeout: number; connectionsCheckingInterval: number };
  const headersTimeout = config.headersTimeoutMs ?? 10_000;
  http1Limits.headersTimeout = headersTimeout;
  http1Limits.requestTimeout = requestTimeoutMs;
  http1Limits.keepAliveTimeout = idleTimeoutMs;
  // Node checks both timeouts on this interval (default 30 s: a 10 s header timeout would fire after up to 40 s).
  http1Limits.connectionsCheckingInterval = Math.max(50, Math.min(1000, Math.floor(headersTimeout / 10)));
  server.on('drop', () => {
    metrics.refused.labels('connections').inc();
    if (logger.isLevelEnabled('debug')) logger.debug({ maxConnections: server.maxConnections }, 'connection refused: connection limit reached');
  });
  server.on('request', (req: AnyRequest, res: AnyResponse) => onRequest(state, req, res));
  server.on('session', (session: ServerHttp2Session) => {
    state.sessions.add(session);
    session.once('close', () => state.sessions.delete(session));
    if (state.shuttingDown) session.close();
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    if (socket.alpnProtocol === 'h2') return;
    state.http1Sockets.set(socket, 0);
    socket.once('close', () => state.http1Sockets.delete(socket));
  });
  server.on('tlsClientError', (err: Error) => logger.debug({ err: err.message }, 'TLS handshake failed'));

  const metricsServer: HttpServer | undefined = config.metricsPort >= 0
    ? createMetricsPortServer({
        scrape: async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }),
        debugStore: debug ? store : undefined,
        logger,
      })
    : undefined;

  const port = await listen(server, config.port, config.host);
  let metricsPort: number | undefined;
  try {
    if (metricsServer) metricsPort = await listen(metricsServer, config.metricsPort, config.host);
  } catch (err) {
    server.close();
    throw err;
  }
  reloader.start(server, config.watchCertificateFiles ?? true);
  if (config.announce ?? true) logger.info({ port, metricsPort, fingerprint256: initialPair.fingerprint256 }, 'webhook listening');

  let shutdownPromise: Promise<ShutdownResult> | undefined;
  function shutdown(timeoutMs = config.shutdownTimeoutMs ?? 10_000): Promise<ShutdownResult> {
    if (shutdownPromise) return shutdownPromise;
    const { sessions, http1Sockets, http1Responses, drainWaiters } = state;
    state.shuttingDown = true;
    reloader.stop();
    for (const res of http1Responses) if (!res.headersSent) res.setHeader('connection', 'close');
    http1Responses.clear();
    shutdownPromise = (async () => {
      const closed = new Promise<void>((r) => server.close(() => r()));
      const metricsClosed = metricsServer ? new Promise<void>((r) => metricsServer!.close(() => r())) : Promise.resolve();
      metricsServer?.closeIdleConnections();
      for (const session of sessions) session.close();
      for (const [socket, n] of http1Sockets) if (n === 0) socket.end();
      let forced = false;
      if (state.active > 0) {
        let timer: NodeJS.Timeout | undefined;
        const drained = new Promise<boolean>((r) => {
          const waiter = () => r(true);
          drainWaiters.add(waiter);
          timer = setTimeout(() => r(false), timeoutMs);
        });
        forced = !(await drained);
        clearTimeout(timer);
      }
      if (forced) {
        logger.error({ inFlight: state.active, timeoutMs }, 'graceful server shutdown failed, server has been force closed');
      }
      for (const session of sessions) session.destroy();
      for (const socket of http1Sockets.keys()) socket.destroy();
      metricsServer?.closeAllConnections();
      await Promise.all([closed, metricsClosed]);
      logger.info({ forced }, forced ? 'webhook server force closed' : 'Webhook server shutdown gracefully');
      return { forced };
    })();
    return shutdownPromise;
  }

  const host = urlHost(config.host);
  return {
    url: `https://${host}:${port}`,
    port,
    metricsUrl: metricsPort !== undefined ? `http://${host}:${metricsPort}` : undefined,
    metricsPort,
    metrics,
    certificate: () => reloader.current,
    reloadCertificate: () => reloader.reload(),
    useCertificate: (pair) => reloader.install(pair),
    inFlight: () => state.active,
    bufferedBytes: () => state.buffered,
    shutdown,
  };
}
