/**
 * Benchmark load generator process (run pinned to its own core): autocannon against each target in turn, round
 * after round (interleaving evens out noise from other processes), cycling through the same review bodies on
 * every target; prints one JSON line of results per target. Server CPU is read from /proc for the server's
 * process tree (workers included), so CPU per request holds steady on a busy machine.
 * Usage: load-child.ts <json: { targets: [{ name, url, pid }], bodiesFile, connections, rounds, duration, warmup }>
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
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
  targets: Array<{ name: string; url: string; pid: number }>;
  bodiesFile: string;
  connections: number;
  rounds: number;
  duration: number;
  warmup: number;
}

const options = JSON.parse(process.argv[2]!) as Options;
const bodies = JSON.parse(readFileSync(options.bodiesFile, 'utf8')) as string[];
const requests = bodies.map((body) => ({ method: 'POST', path: '/mutate?timeout=10s', headers: { 'content-type': 'application/json' }, body }));
const shoot = (url: string, duration: number) => autocannon({ url, requests, connections: options.connections, duration });

const TICKS = 100; // USER_HZ on Linux
/** utime + stime (s) of `pid` and every live descendant (cluster workers). */
function treeCpuSeconds(root: number): number {
  if (!existsSync('/proc')) return Number.NaN; // not Linux: CPU per request is not measured
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
      stats.set(Number(entry), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // the process ended between readdir and read
    }
  }
  let ticks = 0;
  const todo = [root];
  while (todo.length > 0) {
    const pid = todo.pop()!;
    ticks += stats.get(pid)?.ticks ?? 0;
    for (const [child, s] of stats) if (s.ppid === pid) todo.push(child);
  }
  return ticks / TICKS;
}

for (const target of options.targets) await shoot(target.url, options.warmup);
const results = new Map<string, Array<{ result: AutocannonResult; cpu: number }>>(options.targets.map((t) => [t.name, []]));
for (let round = 0; round < options.rounds; round++) {
  for (const target of options.targets) {
    const before = treeCpuSeconds(target.pid);
    const result = await shoot(target.url, options.duration);
    const cpu = treeCpuSeconds(target.pid) - before;
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
