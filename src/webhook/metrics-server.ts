/**
 * The plain-HTTP metrics port: `/metrics` and, with `--enable-debugging-handlers`, upstream's cache dump and clear.
 * One server for both modes: a single process scrapes its own registry; the `--workers` primary scrapes the
 * workers' registries aggregated and serves the debug routes from the identity store it owns.
 * @module
 */
import { createServer, type Server } from 'node:http';
import type { Logger } from '../lib/log.js';

/** Optional store capabilities for the debug routes (the sources' `ManagedIdentityStore` has both). */
export interface IdentityStoreExtras {
  /** Upstream's cache dump (`/debug/alpha/cache`): entries keyed `ns/name`, sorted, one-space indent. */
  dump?(): string;
  /** Empties the cache (`/debug/alpha/cache/clear`); entries come back with the next watch event or reload. */
  clear?(): void;
}

export interface MetricsPortOptions {
  /** The Prometheus exposition and its content type. */
  scrape(): Promise<{ contentType: string; body: string }>;
  /** Serve `/debug/alpha/cache` and `/debug/alpha/cache/clear` from this store; undefined = 404 (no debug routes). */
  debugStore?: IdentityStoreExtras | undefined;
  logger: Logger;
}

function sendText(res: import('node:http').ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * Creates (does not start) the metrics server.
 * @example
 * const server = createMetricsPortServer({ scrape: async () => ({ contentType: registry.contentType, body: await registry.metrics() }), logger });
 * server.listen(9999);
 */
export function createMetricsPortServer(options: MetricsPortOptions): Server {
  const { debugStore, logger } = options;
  async function handle(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    req.resume();
    if (path === '/metrics') {
      const { contentType, body } = await options.scrape();
      res.writeHead(200, { 'content-type': contentType });
      res.end(body);
      return;
    }
    if (debugStore !== undefined && path === '/debug/alpha/cache') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(debugStore.dump?.() ?? '{}');
      return;
    }
    if (debugStore !== undefined && path === '/debug/alpha/cache/clear') {
      debugStore.clear?.();
      res.writeHead(200);
      res.end();
      return;
    }
    sendText(res, 404, '404 page not found\n');
  }
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error({ err }, 'metrics request failed');
      if (res.headersSent) res.end();
      else sendText(res, 500, 'metrics unavailable\n');
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  return server;
}
