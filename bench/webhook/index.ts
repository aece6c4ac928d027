/**
 * irsa-kit's webhook against the upstream Go webhook (v0.6.17), in the same run, on the same realistic
 * AdmissionReviews (bench/webhook/reviews.ts: managedFields, 1–3 containers, init containers, volumes):
 *
 * 1. Differential check: every review to both servers; the decoded patches must be equal as JSON values (and the
 *    count of byte-identical patches is printed).
 * 2. Per core: each server pinned to core 0 (`taskset -c 0`), the load generator (wrk, else autocannon) pinned to
 *    core 1 (32 connections, HTTP/1.1 over TLS, cycling through the reviews), rounds alternating irsa/Go/irsa/Go…;
 *    req/s, p50, p99 and server CPU per request (from /proc, so it holds on a busy machine), and the ratios irsa/Go.
 *    Goal (issue 13): ≥ 1.2× Go's req/s with p99 no worse than Go's.
 * 3. On 2 cores: `irsa webhook` as users run it (the CLI, offline ServiceAccount file) with `--workers 1` and
 *    `--workers 2`, and Go with GOMAXPROCS 2; rounds interleaved. With a third core the servers are pinned to cores
 *    0-1 and the load generator to core 2; on a 2-core machine nothing is pinned and the load generator shares the
 *    servers' cores, so the cores each side used are printed beside the ratio. Goal (issue 13): `--workers 2` ≥
 *    1.8× `--workers 1`.
 *
 * The Go side is skipped with a message when `../shared/reference/eks-webhook` is absent (a user's clone).
 * `BENCH_WEBHOOK_BASELINE=/path/to/another/checkout` adds that checkout's server to the per-core rounds (before/after).
 * `--short` (CI) runs few short rounds and never fails on ratios; the full run is for a quiet machine.
 * @module
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request, Agent } from 'node:https';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { firstLine, freePort, webhookListeningPort } from '../child-process.js';
import { findGoReference, startGoWebhook, type RunningGo } from './go-reference.js';
import { realisticReviews } from './reviews.js';

const here = dirname(fileURLToPath(import.meta.url));
const IRSA_BIN = join(here, '..', '..', 'bin', 'irsa');
const REGION = 'eu-west-1';
const hasTaskset = existsSync('/usr/bin/taskset');

interface LoadResult {
  requestsPerSecond: number;
  total: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  /** Server CPU time per request, in µs (user + system of the server's process tree during the round). */
  cpuMicrosPerRequest: number;
  /** The load generator's CPU time per request, in µs. */
  loaderCpuMicrosPerRequest: number;
}

interface Target {
  name: string;
  url: string;
  pid: number;
  stop(): Promise<void>;
}

function spawnNode(core: number | string | undefined, args: string[]): ChildProcess {
  const node = [process.execPath, '--import', 'tsx', ...args];
  return core !== undefined && hasTaskset
    ? spawn('taskset', ['-c', String(core), ...node], { stdio: ['ignore', 'pipe', 'inherit'] })
    : spawn(node[0]!, node.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
}



async function startIrsa(name: string, dir: string, core: number | undefined, extra: string[] = [], checkout?: string): Promise<Target> {
  const child = spawnNode(core, [checkout === undefined ? join(here, 'server-child.ts') : join(checkout, 'bench/webhook/server-child.ts'), dir, REGION, ...extra]);
  const { port, pid } = JSON.parse(await firstLine(child)) as { port: number; pid: number };
  return {
    name,
    url: `https://127.0.0.1:${port}`,
    pid,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** `irsa webhook --workers N` as users run it (the CLI from the sources, ServiceAccounts from a manifest file). */
async function startIrsaCli(name: string, dir: string, workers: number, cores: string | undefined): Promise<Target> {
  const pin = cores !== undefined && hasTaskset ? ['-c', cores, process.execPath] : undefined;
  const child = spawn(pin ? 'taskset' : process.execPath, [...(pin ?? []), IRSA_BIN, 'webhook', `--workers=${workers}`, '--in-cluster=false', '--port=0', '--metrics-port=0', `--tls-cert=${join(dir, 'tls.crt')}`, `--tls-key=${join(dir, 'tls.key')}`, `--aws-default-region=${REGION}`, `--service-accounts=${join(dir, 'service-accounts.json')}`, '--service-account-lookup-grace-period=0', '--log-format=json'], {
    env: { ...process.env, IRSA_FROM_SOURCE: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const port = await webhookListeningPort(child);
  child.stderr!.resume();
  return {
    name,
    url: `https://127.0.0.1:${port}`,
    pid: child.pid!,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function startGo(name: string, dir: string, core: number | string | undefined): Promise<Target> {
  const go: RunningGo = await startGoWebhook(findGoReference() as Exclude<ReturnType<typeof findGoReference>, string>, dir, { stub: await freePort(), webhook: await freePort(), metrics: await freePort() }, { core, region: REGION });
  return { name, url: go.url, pid: go.pid, stop: go.stop };
}

/** POSTs one review; resolves the decoded response review. */
function post(url: string, agent: Agent, body: string): Promise<{ status: number; review: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/mutate?timeout=10s`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status: res.statusCode ?? 0, review: JSON.parse(text) as Record<string, unknown> });
        } catch {
          reject(new Error(`${url}: HTTP ${res.statusCode}: ${text.slice(0, 200)}`));
        }
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

function patchOf(review: Record<string, unknown>): string | undefined {
  const response = review.response as { patch?: string } | undefined;
  return response?.patch === undefined ? undefined : Buffer.from(response.patch, 'base64').toString('utf8');
}

/** JSON with object keys sorted: equal for equal JSON values whatever the key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Every review to both servers: the patches must be the same JSON values. Returns [equal, byte-identical, total]. */
async function differential(irsa: Target, go: Target, bodies: string[], ca: Buffer): Promise<{ equal: number; identical: number; mutated: number; firstDiff?: string }> {
  const agent = new Agent({ ca, keepAlive: true, maxSockets: 8 });
  // The Go webhook's informer fills its cache after /metrics answers: wait until a review that must be mutated is.
  const end = Date.now() + 20_000;
  for (;;) {
    const { review } = await post(go.url, agent, bodies[0]!);
    const { review: ours } = await post(irsa.url, agent, bodies[0]!);
    if (patchOf(review) !== undefined || patchOf(ours) === undefined) break;
    if (Date.now() > end) throw new Error('the Go webhook did not sync its ServiceAccounts within 20 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  let equal = 0;
  let identical = 0;
  let mutated = 0;
  let firstDiff: string | undefined;
  for (let i = 0; i < bodies.length; i += 8) {
    await Promise.all(bodies.slice(i, i + 8).map(async (body, j) => {
      const [a, b] = await Promise.all([post(irsa.url, agent, body), post(go.url, agent, body)]);
      const pa = patchOf(a.review);
      const pb = patchOf(b.review);
      if (pa !== undefined) mutated++;
      const same = a.status === b.status && (a.review.response as { allowed?: boolean }).allowed === (b.review.response as { allowed?: boolean }).allowed
        && (pa === undefined ? pb === undefined : pb !== undefined && canonical(JSON.parse(pa)) === canonical(JSON.parse(pb)));
      if (same) equal++;
      else firstDiff ??= `review ${i + j}: irsa ${a.status} ${pa?.slice(0, 300) ?? '(no patch)'}\n    go   ${b.status} ${pb?.slice(0, 300) ?? '(no patch)'}`;
      if (pa === pb) identical++;
    }));
  }
  agent.destroy();
  return { equal, identical, mutated, firstDiff };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Medians over the rounds (requests/s, p50, p99, CPU); totals summed. */
function summarise(rounds: LoadResult[]): LoadResult {
  return {
    requestsPerSecond: median(rounds.map((r) => r.requestsPerSecond)),
    total: rounds.reduce((a, r) => a + r.total, 0),
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    errors: rounds.reduce((a, r) => a + r.errors, 0),
    non2xx: rounds.reduce((a, r) => a + r.non2xx, 0),
    cpuMicrosPerRequest: median(rounds.map((r) => r.cpuMicrosPerRequest)),
    loaderCpuMicrosPerRequest: median(rounds.map((r) => r.loaderCpuMicrosPerRequest)),
  };
}

function row(name: string, r: LoadResult, rounds: LoadResult[]): string {
  const each = rounds.map((x) => x.requestsPerSecond.toFixed(0)).join('/');
  return `${name.padEnd(22)} ${r.requestsPerSecond.toFixed(0).padStart(7)} req/s   p50 ${String(r.p50).padStart(3)} ms   p99 ${String(r.p99).padStart(4)} ms   ${r.cpuMicrosPerRequest.toFixed(0).padStart(4)} µs CPU/request   (rounds ${each}; ${r.total} requests, ${r.errors} errors, ${r.non2xx} non-2xx)`;
}

/** Interleaved rounds over `targets` from one load generator (pinned to `core` when given). */
async function load(targets: Target[], core: number | string | undefined, dir: string, rounds: number, duration: number): Promise<Record<string, LoadResult[]>> {
  const child = spawnNode(core, [join(here, 'load-child.ts'), JSON.stringify({ targets: targets.map(({ name, url, pid }) => ({ name, url, pid })), bodiesFile: join(dir, 'bodies.json'), connections: 32, rounds, duration, warmup: 1 })]);
  return JSON.parse(await firstLine(child)) as Record<string, LoadResult[]>;
}

async function withTargets<T>(starts: Array<() => Promise<Target>>, body: (targets: Target[]) => Promise<T>): Promise<T> {
  const targets: Target[] = [];
  try {
    for (const start of starts) targets.push(await start());
    return await body(targets);
  } finally {
    await Promise.all(targets.map((t) => t.stop()));
  }
}

const load1 = (): string => loadavg()[0]!.toFixed(1);

function report(results: Record<string, LoadResult[]>, names: string[]): Record<string, LoadResult> {
  const out: Record<string, LoadResult> = {};
  for (const name of names) {
    out[name] = summarise(results[name]!);
    console.log(row(name, out[name], results[name]!));
    if (out[name].errors > 0 || out[name].non2xx > 0) console.log(`warning: ${name} had ${out[name].errors} errors and ${out[name].non2xx} non-2xx answers`);
  }
  return out;
}

export async function run(short: boolean): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'irsa-bench-webhook-'));
  try {
    // An ECDSA P-256 serving certificate (cert-manager's default for ECDSA issuers), the same for both servers.
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.crt'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const { bodies, serviceAccounts } = realisticReviews(short ? 60 : 300);
    writeFileSync(join(dir, 'fixtures.json'), JSON.stringify({ serviceAccounts }));
    writeFileSync(join(dir, 'service-accounts.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: serviceAccounts }));
    writeFileSync(join(dir, 'bodies.json'), JSON.stringify(bodies));
    const sizes = bodies.map((b) => b.length);
    const goRef = findGoReference();
    const withGo = typeof goRef !== 'string';
    if (!withGo) console.log(goRef);
    if (!hasTaskset) console.log('no /usr/bin/taskset: servers and load generator are not pinned, per-core figures are not per core');
    const rounds = short ? 2 : 5;
    const duration = short ? 1 : 4;
    console.log(`${bodies.length} reviews (${Math.min(...sizes)}–${Math.max(...sizes)} B, median ${median(sizes)} B) over ${serviceAccounts.length} ServiceAccounts; HTTPS POST /mutate, 32 connections, ${rounds} interleaved rounds of ${duration} s per server; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);

    // Per core: both servers on core 0, autocannon on core 1.
    const starts = [() => startIrsa('irsa', dir, 0)];
    if (withGo) starts.push(() => startGo('go', dir, 0));
    // Another checkout's webhook in the same rounds (before/after a change): BENCH_WEBHOOK_BASELINE=/path/to/checkout
    const baseline = process.env.BENCH_WEBHOOK_BASELINE;
    if (baseline) starts.push(() => startIrsa('irsa (baseline)', dir, 0, [], baseline));
    await withTargets(starts, async (targets) => {
      if (withGo) {
        const d = await differential(targets[0]!, targets[1]!, bodies, readFileSync(join(dir, 'tls.crt')));
        console.log(`differential: ${d.equal}/${bodies.length} reviews answered with the same patch as Go (${d.mutated} mutated; ${d.identical} byte-identical)`);
        if (d.firstDiff !== undefined) console.log(`  first difference: ${d.firstDiff}`);
      }
      console.log(`per core (servers on core 0, load generator on core 1; load average ${load1()} before):`);
      const results = await load(targets, 1, dir, rounds, duration);
      const r = report(results, targets.map((t) => t.name));
      if (withGo) {
        const { irsa, go } = r as { irsa: LoadResult; go: LoadResult };
        const perRound = results.irsa!.map((x, i) => (x.requestsPerSecond / results.go![i]!.requestsPerSecond).toFixed(2)).join('/');
        const met = irsa.requestsPerSecond >= 1.2 * go.requestsPerSecond && irsa.p99 <= go.p99;
        if (baseline) {
          const b = r['irsa (baseline)']!;
          console.log(`ratio irsa/baseline: ${(irsa.requestsPerSecond / b.requestsPerSecond).toFixed(2)}x req/s, CPU/request ${(b.cpuMicrosPerRequest / irsa.cpuMicrosPerRequest).toFixed(2)}x less; baseline/Go ${(b.requestsPerSecond / go.requestsPerSecond).toFixed(2)}x req/s, CPU/request ${(go.cpuMicrosPerRequest / b.cpuMicrosPerRequest).toFixed(2)}x less`);
        }
        console.log(`ratio irsa/Go per core: ${(irsa.requestsPerSecond / go.requestsPerSecond).toFixed(2)}x req/s (rounds ${perRound}; goal >= 1.2), p99 ${irsa.p99} vs ${go.p99} ms (goal: no worse), CPU/request ${(go.cpuMicrosPerRequest / irsa.cpuMicrosPerRequest).toFixed(2)}x less: ${met ? 'goal met' : 'goal NOT met'}${short ? ' (short run: indicative only)' : ''}`);
      }
    });

    // On 2 cores: with a third core, servers on cores 0-1 and the load generator on core 2; on a 2-core machine
    // nothing is pinned and the load generator shares the servers' cores (it takes what the servers cannot use).
    const spare = hasTaskset && availableParallelism() >= 3;
    const serverCores = spare ? '0,1' : undefined;
    const loaderCore = spare ? 2 : undefined;
    console.log(spare
      ? `on 2 cores (servers on cores 0-1, load generator on core 2; load average ${load1()} before):`
      : `on 2 cores (nothing pinned, the load generator shares them: this machine has no third core; load average ${load1()} before):`);
    const one = 'irsa --workers 1';
    const two = 'irsa --workers 2';
    const goName = 'go (GOMAXPROCS 2)';
    const starts2 = [() => startIrsaCli(one, dir, 1, serverCores), () => startIrsaCli(two, dir, 2, serverCores)];
    if (withGo) starts2.push(() => startGo(goName, dir, serverCores));
    await withTargets(starts2, async (targets) => {
      const results = await load(targets, loaderCore, dir, short ? 1 : 3, duration);
      const r = report(results, targets.map((t) => t.name));
      const perRound = (a: string, b: string): string => results[a]!.map((x, i) => (x.requestsPerSecond / results[b]![i]!.requestsPerSecond).toFixed(2)).join('/');
      const scale = r[two]!.requestsPerSecond / r[one]!.requestsPerSecond;
      console.log(`ratio --workers 2 / --workers 1 on 2 cores: ${scale.toFixed(2)}x req/s (rounds ${perRound(two, one)}; goal >= 1.8: ${scale >= 1.8 ? 'met' : 'NOT met'}), p99 ${r[two]!.p99} vs ${r[one]!.p99} ms${short ? ' (short run: indicative only)' : ''}`);
      // What bounds the scaling: the cores each server used (req/s × CPU per request) and what the load generator took.
      const cores = (x: LoadResult): string => ((x.requestsPerSecond * x.cpuMicrosPerRequest) / 1e6).toFixed(2);
      const loaderCores = (x: LoadResult): string => ((x.requestsPerSecond * x.loaderCpuMicrosPerRequest) / 1e6).toFixed(2);
      console.log(`cores used on 2 cores: --workers 1 ${cores(r[one]!)} (load generator ${loaderCores(r[one]!)}), --workers 2 ${cores(r[two]!)} (load generator ${loaderCores(r[two]!)}); CPU per request ${r[one]!.cpuMicrosPerRequest.toFixed(0)} vs ${r[two]!.cpuMicrosPerRequest.toFixed(0)} µs`);
      const go = r[goName];
      if (go !== undefined) {
        console.log(`ratio irsa --workers 2 / Go on 2 cores: ${(r[two]!.requestsPerSecond / go.requestsPerSecond).toFixed(2)}x req/s (rounds ${perRound(two, goName)}), p99 ${r[two]!.p99} vs ${go.p99} ms; --workers 1 / Go ${(r[one]!.requestsPerSecond / go.requestsPerSecond).toFixed(2)}x`);
      }
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
