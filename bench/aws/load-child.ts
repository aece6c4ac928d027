/**
 * Benchmark load generator (pinned to its own core): autocannon against each target in turn, round after round,
 * replaying one request signed for that target (or sending a target's bodies in turn). Prints one JSON line: per target, per round, req/s, p50, p99, non-2xx.
 */
import { readFileSync } from 'node:fs';
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
  /** Bodies sent in turn instead of `body` (each request the next one). */
  bodies?: string[];
}
// the options as JSON, or the path of a file holding them (too big for an argument: many bodies)
const arg = process.argv[2]!;
const options = JSON.parse(arg.startsWith('{') ? arg : readFileSync(arg, 'utf8')) as { targets: Target[]; connections: number; rounds: number; duration: number; warmup: number };
function shoot(t: Target, duration: number): Promise<AutocannonResult> {
  const common = { url: t.url, method: t.method, headers: t.headers, connections: options.connections, duration };
  const bodies = t.bodies;
  if (bodies === undefined || bodies.length === 0) return autocannon({ ...common, body: t.body });
  let next = 0;
  return autocannon({ ...common, requests: [{ method: t.method, setupRequest: (req: Record<string, unknown>) => ({ ...req, body: bodies[next++ % bodies.length] }) }] });
}

for (const t of options.targets) await shoot(t, options.warmup);
const out: Record<string, Array<{ rps: number; p50: number; p99: number; total: number; non2xx: number; errors: number }>> = {};
for (let round = 0; round < options.rounds; round++) {
  for (const t of options.targets) {
    const r = await shoot(t, options.duration);
    (out[t.name] ??= []).push({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, total: r.requests.total, non2xx: r.non2xx, errors: r.errors });
  }
}
process.stdout.write(`${JSON.stringify(out)}\n`);
