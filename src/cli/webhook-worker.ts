/**
 * A `irsa webhook --workers N` worker process: bin/irsa starts this module instead of the whole CLI when it runs as a
 * cluster worker with the primary's plan in its environment, so a worker loads only the admission server (not
 * commander, the other commands or the Kubernetes client: tens of MB per worker).
 * @module
 */
import cluster from 'node:cluster';
import { createLogger } from '../lib/log.js';
import { createWebhookMetrics } from '../webhook/metrics.js';
import { startWebhookServer } from '../webhook/server.js';
import { createWorkerIdentityStore, serveWorkerControl } from '../webhook/workers.js';
import type { WebhookPlan } from './webhook.js';

/** The primary's plan (settings it derived included, e.g. IMDS for --compose-role-arn), handed to each worker. */
export const WORKER_PLAN_ENV = 'IRSA_WEBHOOK_WORKER_PLAN';

/**
 * bin/irsa's entry for a worker: serves admissions with the primary's identity data and certificates, drains when
 * told, and never resolves (the drain exits the process).
 * @example
 * if (cluster.isWorker && process.env[WORKER_PLAN_ENV]) await main();
 */
export async function main(): Promise<number> {
  const text = process.env[WORKER_PLAN_ENV];
  if (!cluster.isWorker || text === undefined) throw new Error(`cli/webhook-worker runs only as a cluster worker of irsa webhook (${WORKER_PLAN_ENV} unset)`);
  const plan = JSON.parse(text) as WebhookPlan;
  const logger = createLogger({ level: plan.logLevel, name: 'irsa-webhook', ...(plan.logFormat ? { format: plan.logFormat } : {}) }).child({ worker: cluster.worker?.id });
  const store = createWorkerIdentityStore();
  const metrics = createWebhookMetrics({ source: store, processMetrics: true });
  // The primary coordinates shutdown; a signal sent to the whole process group must not cut a worker short.
  process.on('SIGTERM', () => {});
  process.on('SIGINT', () => {});
  const server = store.ready.then(() => startWebhookServer(
    {
      ...plan.server,
      settings: plan.settings,
      metricsPort: -1,
      watchCertificateFiles: false,
      announce: false,
      ...(process.env.IRSA_WEBHOOK_TEST_WORKER_HEADER === '1' ? { workerHeader: String(process.pid) } : {}),
    },
    { store, logger, metrics },
  ));
  serveWorkerControl({
    metrics,
    certificate: (pair) => void server.then((s) => s.useCertificate(pair)),
    // As the single process: in-flight requests get up to 10 s, and a forced close still ends the shutdown normally.
    drain: async () => {
      await (await server).shutdown();
      return 0;
    },
  });
  await server;
  return new Promise<number>(() => {});
}
