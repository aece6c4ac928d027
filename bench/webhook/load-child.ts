/**
 * Benchmark load generator process (run pinned to its own core): autocannon against each target in turn, round
 * after round (interleaving evens out noise from other processes), printing one JSON line of results per target.
 * Usage: load-child.ts <json: { targets: [{ name, url }], body, connections, rounds, duration, warmup }>
 */
import { createRequire } from 'node:module';

/** The part of autocannon's result we read (the package ships no types). */
interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}
const autocannon = createRequire(import.meta.url)('autocannon') as (options: Record<string, unknown>) => Promise<AutocannonResult>;

interface Options {
  targets: Array<{ name: string; url: string; metricsUrl: string }>;
  body: string;
  connections: number;
  rounds: number;
  duration: number;
  warmup: number;
}

const options = JSON.parse(process.argv[2]!) as Options;
const shoot = (url: string, duration: number) =>
  autocannon({ url: `${url}/mutate?timeout=10s`, method: 'POST', headers: { 'content-type': 'application/json' }, body: options.body, connections: options.connections, duration });

/** The server's CPU seconds so far (its `process_cpu_seconds_total`): CPU per request is robust to noisy neighbours. */
async function cpuSeconds(metricsUrl: string): Promise<number> {
  const text = await (await fetch(`${metricsUrl}/metrics`)).text();
  const m = /^process_cpu_seconds_total (\S+)$/m.exec(text);
  if (!m) throw new Error(`no process_cpu_seconds_total at ${metricsUrl}`);
  return Number(m[1]);
}

for (const target of options.targets) await shoot(target.url, options.warmup);
const results = new Map<string, Array<{ result: AutocannonResult; cpu: number }>>(options.targets.map((t) => [t.name, []]));
for (let round = 0; round < options.rounds; round++) {
  for (const target of options.targets) {
    const before = await cpuSeconds(target.metricsUrl);
    const result = await shoot(target.url, options.duration);
    const cpu = (await cpuSeconds(target.metricsUrl)) - before;
    results.get(target.name)!.push({ result, cpu });
  }
}
const out = options.targets.map((t) =>
  results.get(t.name)!.map(({ result: r, cpu }) => ({
    requestsPerSecond: r.requests.average,
    total: r.requests.total,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    cpuMicrosPerRequest: (cpu * 1e6) / Math.max(1, r.requests.total),
  })),
);
process.stdout.write(`${JSON.stringify(Object.fromEntries(options.targets.map((t, i) => [t.name, out[i]])))}\n`);
