/**
 * `--workers N`: node:cluster processes sharing the admission port (worker_threads cannot share a listening socket
 * on Node 20). The primary owns the identity source and the certificate files: it sends a snapshot plus changes
 * over IPC, and each new checked certificate; each worker answers from its own MemoryIdentityStore and asks the
 * primary on a miss; the primary aggregates the workers' metrics and tells them when to drain.
 * @module
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { ServiceAccountInfo } from '../kube/service-account.js';
import type { IdentityChange, IdentityStore, ManagedIdentityStore, ServiceAccountLookup } from './identity-store.js';
import type { ConfigMapEntries, ContainerCredentialsIdentities } from './identity.js';
import type { WebhookMetrics } from './metrics.js';
import { MemoryIdentityStore } from './memory-identity-store.js';
import type { CertificatePair } from './tls.js';

/** A metric family as prom-client's `getMetricsAsJSON` returns it (passed through IPC as is). */
type metric = object;

/** What a snapshot carries besides the ServiceAccounts (which follow in chunks). */
interface SnapshotHead {
  configMap: ConfigMapEntries | undefined;
  containerCredentials: ContainerCredentialsIdentities | undefined;
  synced: boolean;
}

/**
 * ServiceAccounts per snapshot message. One message of 100,000 makes each worker deserialize them all at once and
 * keep the copy until the index is built (tens of MB of old-generation garbage per worker); chunks die young.
 */
const SNAPSHOT_CHUNK = 1000;

/** What a worker needs of a ServiceAccount (no uid). */
function forWorker(sa: ServiceAccountInfo): ServiceAccountInfo {
  return { namespace: sa.namespace, name: sa.name, annotations: sa.annotations };
}

type ToWorker =
  | { irsa: 'snapshot'; head: SnapshotHead }
  | { irsa: 'snapshot-accounts'; serviceAccounts: ServiceAccountInfo[] }
  | { irsa: 'snapshot-end' }
  | { irsa: 'change'; change: IdentityChange }
  | { irsa: 'lookup-result'; id: number; result: ServiceAccountLookup }
  | { irsa: 'metrics'; id: number }
  | { irsa: 'certificate'; pair: CertificatePair }
  | { irsa: 'drain' };

type ToPrimary =
  | { irsa: 'hello' }
  | { irsa: 'lookup'; id: number; namespace: string; name: string }
  | { irsa: 'metrics-result'; id: number; metrics: metric[] }
  | { irsa: 'drained'; code: number };

function isMessage<T>(m: unknown): m is T & { irsa: string } {
  return typeof m === 'object' && m !== null && typeof (m as { irsa?: unknown }).irsa === 'string';
}

/** The primary's side: forks the workers, feeds them the identity data, answers misses, aggregates metrics. */
export interface WorkerPool {
  /** The workers' metrics and the primary's, aggregated (Prometheus text). */
  metrics(): Promise<string>;
  contentType: string;
  /** Resolves once every worker listens, with the admission port they share. */
  ready: Promise<number>;
  /** Hands a new serving certificate (checked by the primary's reloader) to every worker. */
  certificate(pair: CertificatePair): void;
  /** Tells every worker to drain and resolves once all have exited (true when all exited 0). */
  shutdown(): Promise<boolean>;
}

/**
 * Forks `count` workers running `exec args` (they see `cluster.isWorker`) and wires them to `store`. `changed` must
 * receive the store's `events.changed` (and a reset on config reloads).
 */
export function startWorkerPool(options: {
  count: number;
  store: ManagedIdentityStore;
  metrics: WebhookMetrics;
  /** The program each worker runs (a script path) and its arguments. */
  exec: string;
  args: string[];
  env?: Record<string, string>;
  onUnexpectedExit?: (code: number | null, signal: string | null) => void;
}): WorkerPool & { changed(change: IdentityChange): void } {
  const { store } = options;
  // The host's Node options, less a test runner's own (a worker is the CLI, never a test file).
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--test'));
  cluster.setupPrimary({ serialization: 'advanced', exec: options.exec, args: options.args, execArgv });
  const workers = new Set<Worker>();
  let draining = false;
  let metricsId = 0;
  const metricsWaiters = new Map<number, { left: number; parts: metric[][]; done: (parts: metric[][]) => void }>();

  /** Sends the whole identity data to `targets`, in one synchronous run (no change can come in between). */
  const sendSnapshot = (targets: Iterable<Worker>): void => {
    const to = [...targets];
    const head: SnapshotHead = { configMap: store.configMapEntries(), containerCredentials: store.containerCredentials(), synced: store.isSynced() };
    for (const w of to) send(w, { irsa: 'snapshot', head });
    let chunk: ServiceAccountInfo[] = [];
    const flush = (): void => {
      for (const w of to) send(w, { irsa: 'snapshot-accounts', serviceAccounts: chunk });
      chunk = [];
    };
    for (const sa of store.serviceAccounts()) {
      chunk.push(forWorker(sa));
      if (chunk.length === SNAPSHOT_CHUNK) flush();
    }
    if (chunk.length > 0) flush();
    for (const w of to) send(w, { irsa: 'snapshot-end' });
  };
  // Coalesces a burst of resets (a relist, a file rewrite) into one snapshot.
  let resetTimer: NodeJS.Timeout | undefined;
  const send = (w: Worker, m: ToWorker): void => {
    if (w.isConnected()) w.send(m);
  };
  const broadcast = (m: ToWorker): void => {
    for (const w of workers) send(w, m);
  };
  function changed(change: IdentityChange): void {
    if (change.type !== 'reset') {
      if (resetTimer === undefined) broadcast({ irsa: 'change', change: change.type === 'set' ? { type: 'set', serviceAccount: forWorker(change.serviceAccount) } : change });
      return;
    }
    if (resetTimer !== undefined) return;
    resetTimer = setTimeout(() => {
      resetTimer = undefined;
      sendSnapshot(workers);
    }, 10);
  }
  // Readiness and a first load come without a change event: send a snapshot when the store is ready.
  void store.ready().then(() => changed({ type: 'reset' }));

  const listening: Array<Promise<number>> = [];
  const exited: Array<Promise<number | null>> = [];
  for (let i = 0; i < options.count; i++) {
    const w = cluster.fork(options.env ?? {});
    workers.add(w);
    listening.push(new Promise<number>((resolve, reject) => {
      w.once('listening', (address) => resolve(address.port));
      w.once('exit', (code) => reject(new Error(`worker ${i + 1} exited with code ${code} before listening`)));
    }));
    exited.push(new Promise((resolve) => w.once('exit', (code, signal) => {
      workers.delete(w);
      if (!draining) options.onUnexpectedExit?.(code, signal);
      resolve(code);
    })));
    w.on('message', (m: unknown) => {
      if (!isMessage<ToPrimary>(m)) return;
      // A worker asks once it listens for messages (earlier ones would be dropped).
      if (m.irsa === 'hello') sendSnapshot([w]);
      else if (m.irsa === 'lookup') {
        void store.lookupServiceAccount(m.namespace, m.name).then((result) => send(w, { irsa: 'lookup-result', id: m.id, result }));
      } else if (m.irsa === 'metrics-result') {
        const waiter = metricsWaiters.get(m.id);
        if (!waiter) return;
        waiter.parts.push(m.metrics);
        if (--waiter.left === 0) waiter.done(waiter.parts);
      }
    });
  }

  const aggregated = new AggregatorRegistry();
  return {
    changed,
    contentType: aggregated.contentType,
    ready: Promise.all(listening).then((ports) => ports[0]!),
    certificate: (pair) => broadcast({ irsa: 'certificate', pair }),
    async metrics() {
      const id = ++metricsId;
      const alive = [...workers].filter((w) => w.isConnected());
      const parts = await new Promise<metric[][]>((resolve) => {
        if (alive.length === 0) return resolve([]);
        const timer = setTimeout(() => {
          metricsWaiters.delete(id);
          resolve(parts0);
        }, 5000);
        const parts0: metric[][] = [];
        metricsWaiters.set(id, { left: alive.length, parts: parts0, done: (p) => { clearTimeout(timer); metricsWaiters.delete(id); resolve(p); } });
        for (const w of alive) send(w, { irsa: 'metrics', id });
      });
      const own = await options.metrics.registry.getMetricsAsJSON();
      return AggregatorRegistry.aggregate([own, ...parts] as Parameters<typeof AggregatorRegistry.aggregate>[0]).metrics();
    },
    async shutdown() {
      draining = true;
      clearTimeout(resetTimer);
      broadcast({ irsa: 'drain' });
      const codes = await Promise.all(exited);
      return codes.every((c) => c === 0);
    },
  };
}

/**
 * A worker's identity store: a `MemoryIdentityStore` fed by the primary (snapshots and changes), plus one step of
 * its own: a miss asks the primary (which applies its grace period and direct GET). Resolves `ready` on the first
 * snapshot.
 */
export function createWorkerIdentityStore(): IdentityStore & { ready: Promise<void> } {
  let held = new MemoryIdentityStore({ synced: false });
  /** The snapshot being received; lookups use `held` until it is complete. */
  let next: MemoryIdentityStore | undefined;
  let lookupId = 0;
  const pending = new Map<number, (r: ServiceAccountLookup) => void>();
  let markReady!: () => void;
  const ready = new Promise<void>((r) => (markReady = r));
  process.on('message', (m: unknown) => {
    if (!isMessage<ToWorker>(m)) return;
    if (m.irsa === 'snapshot') {
      next = new MemoryIdentityStore({ ...m.head });
    } else if (m.irsa === 'snapshot-accounts') {
      for (const sa of m.serviceAccounts) next?.set(sa);
    } else if (m.irsa === 'snapshot-end' && next !== undefined) {
      held = next;
      next = undefined;
      markReady();
    } else if (m.irsa === 'change') {
      if (m.change.type === 'set') held.set(m.change.serviceAccount);
      else if (m.change.type === 'delete') held.delete(m.change.namespace, m.change.name);
    } else if (m.irsa === 'lookup-result') {
      pending.get(m.id)?.(m.result);
      pending.delete(m.id);
    }
  });
  process.send?.({ irsa: 'hello' } satisfies ToPrimary);
  return {
    ready,
    async lookupServiceAccount(namespace, name) {
      const hit = held.get(namespace, name);
      if (hit) return { serviceAccount: hit, source: 'cache' };
      if (!process.connected) return { serviceAccount: undefined, source: 'miss' };
      const id = ++lookupId;
      return new Promise<ServiceAccountLookup>((resolve) => {
        pending.set(id, resolve);
        process.send!({ irsa: 'lookup', id, namespace, name } satisfies ToPrimary);
      });
    },
    configMapEntries: () => held.configMapEntries(),
    containerCredentials: () => held.containerCredentials(),
    isSynced: () => held.isSynced(),
    // The primary reports the cache size; workers count 0 so the aggregated gauge is not multiplied.
    size: () => 0,
  };
}

/**
 * Wires a worker to its primary's commands: metrics requests, new serving certificates, and drain (`drain`
 * resolves the exit code). Call it first thing, so that a drain sent while the worker still starts is not lost.
 */
export function serveWorkerControl(control: { metrics: WebhookMetrics; certificate(pair: CertificatePair): void; drain(): Promise<number> }): void {
  let draining = false;
  process.on('message', (m: unknown) => {
    if (!isMessage<ToWorker>(m)) return;
    if (m.irsa === 'metrics') {
      void control.metrics.registry.getMetricsAsJSON().then((json) => process.send?.({ irsa: 'metrics-result', id: m.id, metrics: json as metric[] } satisfies ToPrimary));
    } else if (m.irsa === 'certificate') {
      control.certificate(m.pair);
    } else if (m.irsa === 'drain' && !draining) {
      draining = true;
      void control.drain().then((code) => process.exit(code), () => process.exit(1));
    }
  });
}
