/**
 * Benchmark server process: irsa-kit's webhook server over the MemoryIdentityStore holding the run's ServiceAccounts
 * (a store as the real one behaves once synced: an index lookup answered from the cache).
 * Prints `{"port":N,"metricsPort":M,"pid":P}` on stdout, exits on SIGTERM.
 * Usage: server-child.ts <dir with tls.crt, tls.key, fixtures.json> [region]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { defaultMutationSettings } from '../../src/webhook/constants.js';
import { MemoryIdentityStore } from '../../src/webhook/memory-identity-store.js';
import { startWebhookServer } from '../../src/webhook/server.js';
import type { BenchServiceAccount } from './reviews.js';

const [dir, region = 'eu-west-1'] = process.argv.slice(2) as [string, string | undefined];

function memoryStore(list: BenchServiceAccount[]): MemoryIdentityStore {
  return new MemoryIdentityStore({ serviceAccounts: list.map(({ metadata: m }) => ({ namespace: m.namespace, name: m.name, annotations: m.annotations ?? {} })) });
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
