/**
 * The webhook's two servers: HTTPS (HTTP/1.1 and HTTP/2 via ALPN) with `/mutate`, `/healthz`, `/readyz` (and
 * debug routes), and plain-HTTP metrics with `/metrics` (and the debug cache dump). Metrics and the access log
 * wrap the admission handler; TLS certificates reload from files; `shutdown()` drains in-flight requests.
 * @module
 */
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createSecureServer, type Http2SecureServer, type Http2ServerRequest, type Http2ServerResponse, type ServerHttp2Session } from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '../lib/log.js';
import { AdmissionReviewError, decodeAdmissionReview, encodeAdmissionReview } from './admission.js';
import type { MutationSettings } from './constants.js';
import { createAdmissionHandler, type AdmissionOutcome } from './handler.js';
import type { IdentityStore } from './identity-store.js';
import { createWebhookMetrics, type WebhookMetrics } from './metrics.js';
import { CertificateReloader, loadCertificatePair, tlsSettingsFromFlags, type CertificatePair } from './tls.js';

/** The API server's own request size limit: no AdmissionReview can be larger. */
export const MAX_REVIEW_BYTES = 3 * 1024 * 1024;

/** Optional store capabilities for the debug routes (the sources' `ManagedIdentityStore` has both). */
export interface IdentityStoreExtras {
  /** Upstream's cache dump (`/debug/alpha/cache`): entries keyed `ns/name`, sorted, one-space indent. */
  dump?(): string;
  /** Empties the cache (`/debug/alpha/cache/clear`); entries come back with the next watch event or reload. */
  clear?(): void;
}

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
  /** Time to receive a request's headers (HTTP/1.1; default 10 s). */
  headersTimeoutMs?: number;
  /** Time to receive a whole request (default 30 s, the API server's longest webhook timeout). */
  requestTimeoutMs?: number;
  /** How long `shutdown()` waits for in-flight requests before closing connections (default 10 s, as upstream). */
  shutdownTimeoutMs?: number;
  /** Periodic certificate re-read besides file events (default 10 s; 0 = events only). */
  certificatePollIntervalMs?: number;
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
  /** Requests being handled right now. */
  inFlight(): number;
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
 * upstream answers them 415 — spec 12/14).
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

function modeLabel(mode: string): string {
  return mode === 'container-credentials' ? 'container_credentials' : 'sts_web_identity';
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

  let shuttingDown = false;
  let active = 0;
  const drainWaiters = new Set<() => void>();
  const sessions = new Set<ServerHttp2Session>();
  const http1Sockets = new Map<Socket, number>(); // socket → requests in flight on it
  const http1Responses = new Set<AnyResponse>(); // to add `connection: close` when shutdown starts mid-request

  function requestDone(socket: Socket | undefined): void {
    active--;
    if (socket !== undefined) {
      const n = (http1Sockets.get(socket) ?? 1) - 1;
      if (http1Sockets.has(socket)) http1Sockets.set(socket, n);
      if (shuttingDown && n === 0) socket.end();
    }
    if (active === 0) for (const w of drainWaiters) w();
  }

  function logAccess(req: AnyRequest, status: number, bodyBytes: number, ms: number, uid: string | undefined): void {
    if (!logger.isLevelEnabled('debug')) return;
    logger.debug({ method: req.method, path: req.url, status, protocol: `HTTP/${req.httpVersion}`, userAgent: req.headers['user-agent'], bodyBytes, durationMs: Math.round(ms * 1000) / 1000, uid }, 'request');
  }

  function recordAdmission(outcome: AdmissionOutcome): void {
    if (outcome.lookup !== 'skipped') metrics.lookups.labels(outcome.lookup).inc();
    if (outcome.identity !== undefined) {
      const method = modeLabel(outcome.identity.mode);
      metrics.podCount.labels(method).inc();
      if (outcome.response.patch !== undefined) metrics.mutations.labels(method).inc();
    }
    if (outcome.missedServiceAccount) {
      metrics.missingServiceAccounts.inc();
      logger.warn({ pod: outcome.podName, namespace: outcome.namespace, serviceAccount: outcome.serviceAccountName, uid: outcome.response.uid, gracePeriodMs: config.lookupGracePeriodMs }, 'ServiceAccount not found after the lookup grace period; pod admitted without AWS credentials');
    }
    if (outcome.error !== undefined) {
      logger.error({ err: outcome.error, pod: outcome.podName, namespace: outcome.namespace, uid: outcome.response.uid }, 'mutation failed; pod admitted unchanged');
    }
    if (outcome.identity !== undefined && outcome.response.patch !== undefined && logger.isLevelEnabled('debug')) {
      logger.debug({ pod: outcome.podName, namespace: outcome.namespace, serviceAccount: outcome.serviceAccountName, mode: outcome.identity.mode, source: outcome.identity.source }, 'pod mutated');
    }
  }

  /** `/mutate`: content type → body (capped, timed) → decode → admit → encode. */
  function handleMutate(req: AnyRequest, res: AnyResponse, start: number, finish: (status: number, bytes: number, uid?: string) => void): void {
    if (!isJsonContentType(req.headers['content-type'])) {
      sendText(res, 415, CONTENT_TYPE_ERROR, { 'x-content-type-options': 'nosniff' });
      finish(415, 0);
      return;
    }
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > maxBody) {
      tooLarge(req, res, Number(declared), finish);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      sendText(res, 408, 'request body not received in time\n', req.httpVersionMajor === 1 ? { connection: 'close' } : undefined);
      finish(408, size);
      req.destroy();
    }, requestTimeoutMs);
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > maxBody) {
        done = true;
        clearTimeout(timer);
        tooLarge(req, res, size, finish);
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      finish(499, size);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      let review;
      try {
        review = decodeAdmissionReview(body);
      } catch (err) {
        const message = err instanceof AdmissionReviewError ? err.message : `cannot decode the AdmissionReview: ${(err as Error).message}`;
        sendText(res, 400, `${message}\n`);
        metrics.admissionDuration.labels('invalid').observe((clock() - start) / 1000);
        finish(400, size);
        return;
      }
      handler.admit(review).then(
        (outcome) => {
          const payload = encodeAdmissionReview(review, outcome.response);
          if (!res.headersSent && !res.writableEnded) {
            try {
              res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
              res.end(payload);
            } catch (err) {
              logger.debug({ err, uid: review.request.uid }, 'client went away before the response');
            }
          }
          recordAdmission(outcome);
          metrics.admissionDuration.labels(outcome.response.patch !== undefined ? 'mutated' : 'unchanged').observe((clock() - start) / 1000);
          finish(200, size, review.request.uid);
        },
        (err: unknown) => {
          // Our own trouble (e.g. the store failed): never deny the pod; the API server applies failurePolicy.
          logger.error({ err, uid: review.request.uid }, 'admission failed');
          sendText(res, 500, 'internal error while admitting the pod\n');
          metrics.admissionDuration.labels('error').observe((clock() - start) / 1000);
          finish(500, size, review.request.uid);
        },
      );
    });
  }

  function tooLarge(req: AnyRequest, res: AnyResponse, size: number, finish: (status: number, bytes: number) => void): void {
    sendText(res, 413, `request body too large: ${size} bytes, the limit is ${maxBody} bytes (the API server's own limit)\n`, req.httpVersionMajor === 1 ? { connection: 'close' } : undefined);
    finish(413, size);
    req.resume();
  }

  function debugDeny(res: AnyResponse): number {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(DEBUG_DENY_BODY);
    return 200;
  }

  function onRequest(req: AnyRequest, res: AnyResponse): void {
    const start = clock();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const socket = req.httpVersionMajor === 1 ? (req.socket as Socket) : undefined;
    active++;
    if (socket !== undefined) {
      http1Sockets.set(socket, (http1Sockets.get(socket) ?? 0) + 1);
      if (shuttingDown) res.setHeader('connection', 'close');
      else http1Responses.add(res);
    }
    let finished = false;
    const finish = (status: number, bytes: number, uid?: string, instrumented = true): void => {
      if (finished) return;
      finished = true;
      const seconds = (clock() - start) / 1000;
      if (instrumented) metrics.observeRequest(req.method ?? 'GET', path, status, seconds);
      logAccess(req, status, bytes, seconds * 1000, uid);
    };
    res.once('close', () => {
      if (!finished) finish(499, 0);
      if (socket !== undefined) http1Responses.delete(res);
      requestDone(socket);
    });
    switch (path) {
      case '/mutate':
        handleMutate(req, res, start, finish);
        return;
      case '/healthz':
        sendText(res, 200, 'ok');
        finish(200, 0, undefined, false);
        return;
      case '/readyz': {
        const ready = store.isSynced() && !shuttingDown;
        sendText(res, ready ? 200 : 503, ready ? 'ok' : shuttingDown ? 'shutting down' : 'not ready: ServiceAccounts not synced yet');
        finish(ready ? 200 : 503, 0, undefined, false);
        return;
      }
      default:
        if (debug && path === '/debug/alpha/deny') {
          req.resume();
          finish(debugDeny(res), 0);
          return;
        }
        if (debug && path === '/debug/alpha/500') {
          req.resume();
          sendText(res, 500, 'test error\n');
          finish(500, 0);
          return;
        }
        req.resume();
        sendText(res, 404, '404 page not found\n');
        finish(404, 0, undefined, false);
    }
  }

  const server = createSecureServer({ ...reloader.secureContextOptions(), allowHTTP1: true });
  // Node applies these to the HTTP/1.1 connections of an allowHTTP1 server (not in @types/node).
  const http1Limits = server as unknown as { headersTimeout: number; requestTimeout: number };
  http1Limits.headersTimeout = config.headersTimeoutMs ?? 10_000;
  http1Limits.requestTimeout = requestTimeoutMs;
  server.on('request', onRequest);
  server.on('session', (session: ServerHttp2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
    if (shuttingDown) session.close();
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    if (socket.alpnProtocol === 'h2') return;
    http1Sockets.set(socket, 0);
    socket.once('close', () => http1Sockets.delete(socket));
  });
  server.on('tlsClientError', (err: Error) => logger.debug({ err: err.message }, 'TLS handshake failed'));

  async function metricsHandler(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    req.resume();
    if (path === '/metrics') {
      const body = await metrics.registry.metrics();
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      res.end(body);
      return;
    }
    if (debug && path === '/debug/alpha/cache') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(store.dump?.() ?? '{}');
      return;
    }
    if (debug && path === '/debug/alpha/cache/clear') {
      store.clear?.();
      res.writeHead(200);
      res.end();
      return;
    }
    sendText(res, 404, '404 page not found\n');
  }

  let metricsServer: HttpServer | undefined;
  if (config.metricsPort >= 0) {
    metricsServer = createHttpServer((req, res) => {
      metricsHandler(req, res).catch((err: unknown) => {
        logger.error({ err }, 'metrics request failed');
        sendText(res, 500, 'metrics unavailable\n');
      });
    });
    metricsServer.headersTimeout = 10_000;
    metricsServer.requestTimeout = 30_000;
  }

  const port = await listen(server, config.port, config.host);
  let metricsPort: number | undefined;
  try {
    if (metricsServer) metricsPort = await listen(metricsServer, config.metricsPort, config.host);
  } catch (err) {
    server.close();
    throw err;
  }
  reloader.start(server);
  logger.info({ port, metricsPort, fingerprint256: initialPair.fingerprint256 }, 'webhook listening');

  let shutdownPromise: Promise<ShutdownResult> | undefined;
  function shutdown(timeoutMs = config.shutdownTimeoutMs ?? 10_000): Promise<ShutdownResult> {
    if (shutdownPromise) return shutdownPromise;
    shuttingDown = true;
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
      if (active > 0) {
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
        logger.error({ inFlight: active, timeoutMs }, 'graceful server shutdown failed, server has been force closed');
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
    inFlight: () => active,
    shutdown,
  };
}
