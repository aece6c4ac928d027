import { decodeAdmissionReview, encodeAdmissionReview } from '../src/webhook/admission.js';
import { defaultMutationSettings } from '../src/webhook/constants.js';
import { createAdmissionHandler } from '../src/webhook/handler.js';
import { scanAdmissionReview } from '../src/webhook/review-scan.js';
import { stringifyPatch } from '../src/webhook/patch-json.js';
import { realisticReviews } from './webhook/reviews.js';
const { bodies, serviceAccounts } = realisticReviews(300);
const bufs = bodies.map((b) => Buffer.from(b));
const m = new Map(serviceAccounts.map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, { namespace: s.metadata.namespace, name: s.metadata.name, annotations: s.metadata.annotations ?? {} }]));
const store = { lookupServiceAccount: async (ns: string, n: string) => ({ serviceAccount: m.get(`${ns}/${n}`), source: 'cache' as const }), configMapEntries: () => undefined, containerCredentials: () => undefined, isSynced: () => true, size: () => m.size };
const h = createAdmissionHandler({ store: store as never, settings: { ...defaultMutationSettings(), awsDefaultRegion: 'eu-west-1' }, lookupGracePeriodMs: 0 });
const fns: Record<string, (b: Buffer) => unknown> = {
  parse: (b) => JSON.parse(b.toString('utf8')),
  scanOnly: (b) => scanAdmissionReview(b),
  slow: async (b) => { const r = decodeAdmissionReview(b); const o = await h.admit(r); return encodeAdmissionReview(r, o.response); },
  fast: async (b) => { const r = scanAdmissionReview(b)!; const o = await h.admit(r); return o.response.patch ? stringifyPatch(o.response.patch) : ''; },
};
for (const f of Object.values(fns)) for (let w = 0; w < 5; w++) for (const b of bufs) await f(b);
const tot: Record<string, number> = {};
for (let round = 0; round < 10; round++) for (const [name, f] of Object.entries(fns)) {
  const t = process.cpuUsage();
  for (let w = 0; w < 3; w++) for (const b of bufs) await f(b);
  { const u = process.cpuUsage(t); tot[name] = (tot[name] ?? 0) + (u.user + u.system) / (3 * bufs.length); }
}
for (const [k, v] of Object.entries(tot)) console.log(k, (v / 10).toFixed(1), 'µs');
