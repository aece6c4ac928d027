/**
 * Benchmark server process (run pinned to one core): `webhook` starts irsa-kit's webhook server over an in-memory
 * store of 1,000 annotated ServiceAccounts; `bare` starts a plain Node HTTPS server that reads the body and answers
 * a fixed response; `parse` is `bare` plus `JSON.parse` of the body (the floor for any server that reads the review).
 * Prints `{"port":N,"metricsPort":M}` on stdout, exits on SIGTERM.
 * Usage: server-child.ts webhook|bare|parse <dir with tls.crt, tls.key, response.json>
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:https';
import { join } from 'node:path';
import { pino } from 'pino';
import type { ServiceAccountInfo } from '../../src/kube/service-account.js';
import { defaultMutationSettings } from '../../src/webhook/constants.js';
import type { IdentityStore } from '../../src/webhook/identity-store.js';
import { startWebhookServer } from '../../src/webhook/server.js';

const [mode, dir] = process.argv.slice(2) as [string, string];

/** A store as the real one behaves once synced: a map lookup answered from the cache. */
function memoryStore(count: number): IdentityStore {
  const accounts = new Map<string, ServiceAccountInfo>();
  for (let i = 0; i < count; i++) {
    const name = i === 0 ? 'checkout' : `sa-${i}`;
    accounts.set(`shop/${name}`, { namespace: 'shop', name, annotations: { 'eks.amazonaws.com/role-arn': `arn:aws:iam::111122223333:role/${name}` } });
  }
  return {
    async lookupServiceAccount(namespace, name) {
      const serviceAccount = accounts.get(`${namespace}/${name}`);
      return { serviceAccount, source: serviceAccount ? 'cache' : 'miss' };
    },
    configMapEntries: () => undefined,
    containerCredentials: () => undefined,
    isSynced: () => true,
    size: () => accounts.size,
  };
}

if (mode === 'webhook') {
  const server = await startWebhookServer(
    {
      host: '127.0.0.1',
      port: 0,
      metricsPort: 0,
      tlsCertFile: join(dir, 'tls.crt'),
      tlsKeyFile: join(dir, 'tls.key'),
      settings: { ...defaultMutationSettings(), awsDefaultRegion: 'us-west-2' },
      lookupGracePeriodMs: 2000,
    },
    { store: memoryStore(1000), logger: pino({ level: 'warn' }, pino.destination({ dest: 2, sync: false })) },
  );
  process.stdout.write(`${JSON.stringify({ port: server.port, metricsPort: server.metricsPort })}\n`);
  process.once('SIGTERM', () => void server.shutdown(1000).then(() => process.exit(0)));
} else {
  const response = readFileSync(join(dir, 'response.json'));
  const parse = mode === 'parse';
  const server = createServer({ cert: readFileSync(join(dir, 'tls.crt')), key: readFileSync(join(dir, 'tls.key')) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      if (parse) chunks.push(chunk);
    });
    req.on('end', () => {
      if (parse) JSON.parse(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': response.length });
      res.end(response);
    });
  });
  // The same process_cpu_seconds_total the webhook's metrics port has, so the bench can compare CPU per request.
  const metrics = createHttpServer((_req, res) => {
    const { user, system } = process.cpuUsage();
    res.end(`process_cpu_seconds_total ${(user + system) / 1e6}\n`);
  });
  server.listen(0, '127.0.0.1', () => {
    metrics.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      const metricsPort = (metrics.address() as { port: number }).port;
      process.stdout.write(`${JSON.stringify({ port, metricsPort })}\n`);
    });
  });
  process.once('SIGTERM', () => {
    metrics.close();
    server.close();
    server.closeAllConnections();
    process.exit(0);
  });
}
