import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeApiServer } from '../../test/kube/fake-api-server.js';
import { measureTree } from './process-tree.js';
const api = new FakeApiServer();
function* sas(n: number) { for (let i = 0; i < n; i++) { const namespace = `team-${String(i % 1000).padStart(4, '0')}`; const name = `workload-${i}-sa`; const annotations: Record<string, string> = { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace, annotations: {} } }) + '\n' }; if (i % 5 === 0) { annotations['eks.amazonaws.com/role-arn'] = `arn:aws:iam::111122223333:role/${namespace}-${name}`; annotations['eks.amazonaws.com/sts-regional-endpoints'] = 'true'; } yield { namespace, name, annotations }; } }
api.loadServiceAccounts(sas(Number(process.env.N ?? 100_000)));
const url = await api.start();
const dir = mkdtempSync(join(tmpdir(), 'tree-'));
for (const w of (process.argv[2] ?? '1,2').split(',').map(Number)) {
  const t = await measureTree(url, dir, w);
  console.log(w, t.rss.map((b) => (b / 2 ** 20).toFixed(1)).join(' + '), '=', (t.total / 2 ** 20).toFixed(1), 'MB', t.syncMs.toFixed(0), 'ms');
}
await api.stop();
