/**
 * A stand-in worker for test/webhook/workers.test.ts: holds the worker identity store fed over IPC by the test (the
 * primary's messages) and answers the test's `{ test: 'lookup' }` questions with what the store says.
 */
import { createWorkerIdentityStore } from '../../src/webhook/workers.js';

const store = createWorkerIdentityStore();
process.on('message', (m: unknown) => {
  const q = m as { test?: string; namespace: string; name: string };
  if (q.test !== 'lookup') return;
  void store.lookupServiceAccount(q.namespace, q.name).then((lookup) =>
    process.send!({ test: 'result', lookup, configMap: store.configMapEntries(), containerCredentials: store.containerCredentials(), synced: store.isSynced(), size: store.size() }));
});
void store.ready.then(() => process.send!({ test: 'ready' }));
