/**
 * Benchmark load generator (pinned to its own core): autocannon against each target in turn, round after round,
 * replaying one request signed for that target. Prints one JSON line: per target, per round, req/s, p50, p99, non-2xx.
 */
import { createRequire } from 'node:module';

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  errors: number;
  non2xx: number;
}
const autocannon = createRequire(import.meta.url)('autocannon') as (options: Record<string, unknown>) => Promise<AutocannonResult>;

interface Target {
  name: string;
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
}
const options = JSON.parse(process.argv[2]!) as { targets: Target[]; connections: number; rounds: number; duration: number; warmup: number };
const shoot = (t: Target, duration: number) => autocannon({ url: t.url, method: t.method, headers: t.headers, body: t.body, connections: options.connections, duration });

for (const t of options.targets) await shoot(t, options.warmup);
const out: Record<string, Array<{ rps: number; p50: number; p99: number; total: number; non2xx: number; errors: number }>> = {};
for (let round = 0; round < options.rounds; round++) {
  for (const t of options.targets) {
    const r = await shoot(t, options.duration);
    (out[t.name] ??= []).push({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, total: r.requests.total, non2xx: r.non2xx, errors: r.errors });
  }
}
process.stdout.write(`${JSON.stringify(out)}\n`);
