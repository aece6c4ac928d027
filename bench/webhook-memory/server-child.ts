/**
 * The webhook server for bench/webhook-memory, in its own process so its RSS is its own. argv: a directory with
 * tls.crt/tls.key and a JSON object of `WebhookServerConfig` limits. Prints `{"port":N}`; answers an IPC `rss`
 * message with `{ rss }`; exits on SIGTERM.
 */
import { join } from 'node:path';
import { pino } from 'pino';
import { defaultMutationSettings } from '../../src/webhook/constants.js';
import type { IdentityStore } from '../../src/webhook/identity-store.js';
import { startWebhookServer, type WebhookServerConfig } from '../../src/webhook/server.js';

const [dir, limitsJson] = process.argv.slice(2) as [string, string];
const limits = JSON.parse(limitsJson, (_k, v: unknown) => (v === 'Infinity' ? Infinity : v)) as Partial<WebhookServerConfig>;
const store: IdentityStore = {
  async lookupServiceAccount(namespace, name) {
    return { serviceAccount: { namespace, name, annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::111122223333:role/app' } }, source: 'cache' };
  },
  configMapEntries: () => undefined,
  containerCredentials: () => undefined,
  isSynced: () => true,
  size: () => 1,
};
const server = await startWebhookServer(
  { host: '127.0.0.1', port: 0, metricsPort: -1, tlsCertFile: join(dir, 'tls.crt'), tlsKeyFile: join(dir, 'tls.key'), settings: defaultMutationSettings(), lookupGracePeriodMs: 0, processMetrics: false, ...limits },
  { store, logger: pino({ level: 'warn' }, pino.destination({ dest: 2, sync: false })) },
);
process.on('message', () => process.send?.({ rss: process.memoryUsage().rss, buffered: server.bufferedBytes() }));
process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
process.once('SIGTERM', () => void server.shutdown(1000).then(() => process.exit(0)));
