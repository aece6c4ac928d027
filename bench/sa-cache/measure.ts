/**
 * Child of bench/sa-cache (run with --expose-gc): syncs the store (or, as the baseline, fetches the same pages and
 * keeps the parsed objects) and prints `{ mode, count, heapBytes, syncMs }` as one JSON line.
 */
import { createKubernetesIdentityStore } from '../../src/webhook/kubernetes-identity-store.js';
import { createKubeApi, loadKubeConfig } from '../../src/kube/api-client.js';

const [url, mode, expectedText] = process.argv.slice(2) as [string, 'store' | 'baseline', string];
const expected = Number(expectedText);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

function settle(): number {
  for (let i = 0; i < 4; i++) gc!();
  return process.memoryUsage().heapUsed;
}

// The client (and @kubernetes/client-node, loaded on first use) exists before the first measurement: what is
// measured is what the store and the baseline hold, not the library's code.
const api = createKubeApi(loadKubeConfig({ kubeApi: url }));
const before = settle();
const t0 = performance.now();
let keep: unknown;
let count = 0;
if (mode === 'store') {
  const store = createKubernetesIdentityStore({ api, lookupGracePeriodMs: 0 });
  await store.ready();
  count = store.size();
  keep = store;
} else {
  const items: unknown[] = [];
  let cont: string | undefined;
  do {
    const q = new URLSearchParams({ limit: '500', ...(cont ? { continue: cont } : {}) });
    const { body } = await api.getJson(`/api/v1/serviceaccounts?${q}`);
    const page = body as { items: unknown[]; metadata: { continue?: string } };
    for (const item of page.items) items.push(item);
    cont = page.metadata.continue;
  } while (cont);
  count = items.length;
  keep = items;
}
const syncMs = performance.now() - t0;
const after = settle();
if (count !== expected) throw new Error(`${mode}: synced ${count}, expected ${expected}`);
process.stdout.write(`${JSON.stringify({ mode, count, heapBytes: after - before, syncMs })}\n`);
void keep;
process.exit(0);
