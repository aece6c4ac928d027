/**
 * Benchmark load generator process (run pinned to its own core): wrk (C, when on PATH: `apt-get install wrk`) or
 * else autocannon against each target in turn, round after round (interleaving evens out noise from other
 * processes), cycling through the same review bodies on every target; prints one JSON line of results per target.
 * wrk is preferred because the 2-core run shares its cores with the load generator: autocannon spends about as
 * much CPU per request as the server, wrk a fraction of it. Server CPU is read from /proc for the server's process
 * tree (workers included), so CPU per request holds steady on a busy machine.
 * Usage: load-child.ts <json: { targets: [{ name, url, pid }], bodiesFile, connections, rounds, duration, warmup }>
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The part of autocannon's result we read (the package ships no types). */
interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}
const autocannon = createRequire(import.meta.url)('autocannon') as (options: Record<string, unknown>) => Promise<AutocannonResult>;
const WRK = ['/usr/bin/wrk', '/usr/local/bin/wrk'].find((p) => existsSync(p));
process.stderr.write(`load generator: ${WRK ?? 'autocannon (install wrk for a lighter one)'}\n`);

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

/** A wrk script that sends the bodies in turn (each request formatted once, in init). */
function wrkScript(): string {
  const lua = (text: string): string => {
    let level = '';
    while (text.includes(`]${level}]`)) level += '=';
    return `[${level}[${text}]${level}]`;
  };
  return [
    'local bodies = {',
    ...bodies.map((b) => `${lua(b)},`),
    '}',
    'local formatted = {}',
    'local i = 0',
    'function init(args)',
    '  for k, b in ipairs(bodies) do formatted[k] = wrk.format("POST", "/mutate?timeout=10s", { ["Content-Type"] = "application/json" }, b) end',
    'end',
    'function request()',
    '  i = i % #formatted + 1',
    '  return formatted[i]',
    'end',
    'function done(summary, latency, requests)',
    '  local e = summary.errors',
    '  io.write(string.format("WRKRESULT %d %d %d %d %d %d\\n", summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), e.connect + e.read + e.write + e.timeout, e.status))',
    'end',
  ].join('\n');
}

let scriptFile: string | undefined;
async function shootWrk(url: string, duration: number): Promise<AutocannonResult> {
  if (scriptFile === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'irsa-wrk-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    scriptFile = join(dir, 'reviews.lua');
    writeFileSync(scriptFile, wrkScript());
  }
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(WRK!, ['-t1', `-c${options.connections}`, `-d${duration}s`, '--timeout', '10s', '-s', scriptFile!, url], { maxBuffer: 1 << 20 }, (err, out) => (err ? reject(err) : resolve(out)));
  });
  const m = /WRKRESULT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)/.exec(stdout);
  if (m === null) throw new Error(`wrk printed no result: ${stdout}`);
  const [total, micros, p50, p99, errors, non2xx] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  return { requests: { average: total / (micros / 1e6), total }, latency: { p50: Math.round(p50 / 1000), p99: Math.round(p99 / 1000) }, errors, timeouts: 0, non2xx };
}

const shoot = (url: string, duration: number): Promise<AutocannonResult> =>
  WRK !== undefined ? shootWrk(url, duration) : autocannon({ url, requests, connections: options.connections, duration });

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

/** This process's CPU (s) with its reaped children's (wrk runs as one per round): the load generator's cost. */
function selfCpuSeconds(): number {
  if (!existsSync('/proc/self/stat')) return Number.NaN;
  const text = readFileSync('/proc/self/stat', 'utf8');
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / TICKS;
}

for (const target of options.targets) await shoot(target.url, options.warmup);
const results = new Map<string, Array<{ result: AutocannonResult; cpu: number; loaderCpu: number }>>(options.targets.map((t) => [t.name, []]));
for (let round = 0; round < options.rounds; round++) {
  for (const target of options.targets) {
    const before = treeCpuSeconds(target.pid);
    const loaderBefore = selfCpuSeconds();
    const result = await shoot(target.url, options.duration);
    const cpu = treeCpuSeconds(target.pid) - before;
    results.get(target.name)!.push({ result, cpu, loaderCpu: selfCpuSeconds() - loaderBefore });
  }
}
const out = options.targets.map((t) =>
  results.get(t.name)!.map(({ result: r, cpu, loaderCpu }) => ({
    requestsPerSecond: r.requests.average,
    total: r.requests.total,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    cpuMicrosPerRequest: (cpu * 1e6) / Math.max(1, r.requests.total),
    loaderCpuMicrosPerRequest: (loaderCpu * 1e6) / Math.max(1, r.requests.total),
  })),
);
process.stdout.write(`${JSON.stringify(Object.fromEntries(options.targets.map((t, i) => [t.name, out[i]])))}\n`);
