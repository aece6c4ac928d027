/**
 * Benchmark server process: irsa-kit's webhook server over an in-memory store holding the run's ServiceAccounts
 * (a store as the real one behaves once synced: a map lookup answered from the cache).
 * Prints `{"port":N,"metricsPort":M,"pid":P}` on stdout, exits on SIGTERM.
 * Usage: server-child.ts <dir with tls.crt, tls.key, fixtures.json> [region]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import type { ServiceAccountInfo } from '../../src/kube/service-account.js';
import { defaultMutationSettings } from '../../src/webhook/constants.js';
import type { IdentityStore } from '../../src/webhook/identity-store.js';
import { startWebhookServer } from '../../src/webhook/server.js';
import type { BenchServiceAccount } from './reviews.js';

const [dir, region = 'eu-west-1'] = process.argv.slice(2) as [string, string | undefined];

function memoryStore(list: BenchServiceAccount[]): IdentityStore {
  const accounts = new Map<string, ServiceAccountInfo>();
  for (const { metadata: m } of list) accounts.set(`${m.namespace}/${m.name}`, { namespace: m.namespace, name: m.name, annotations: m.annotations ?? {} });
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

const fixtures = JSON.parse(readFileSync(join(dir, 'fixtures.json'), 'utf8')) as { serviceAccounts: BenchServiceAccount[] };
const server = await startWebhookServer(
  {
    host: '127.0.0.1',
    port: 0,
    metricsPort: 0,
    tlsCertFile: join(dir, 'tls.crt'),
    tlsKeyFile: join(dir, 'tls.key'),
    settings: { ...defaultMutationSettings(), awsDefaultRegion: region },
    lookupGracePeriodMs: 0,
  },
  { store: memoryStore(fixtures.serviceAccounts), logger: pino({ level: 'warn' }, pino.destination({ dest: 2, sync: false })) },
);
process.stdout.write(`${JSON.stringify({ port: server.port, metricsPort: server.metricsPort, pid: process.pid })}\n`);
process.once('SIGTERM', () => void server.shutdown(1000).then(() => process.exit(0)));
