/**
 * HTTPS load on `/mutate` with a realistic AdmissionReview (autocannon, 32 connections, HTTP/1.1 over TLS), against
 * irsa-kit's webhook server and, in the same run, a bare Node HTTPS server answering a fixed response of the same
 * size, and that bare server plus `JSON.parse` of the body. Server and load generator are separate processes pinned
 * to different cores (`taskset -c 0` / `-c 1`); rounds alternate between the servers; server CPU per request is
 * read from each server's `process_cpu_seconds_total`.
 * Goal: ≥ 0.85× the bare server's requests/s and p99 ≤ 1.5× the bare server's.
 * @module
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeAdmissionReview, encodeAdmissionReview } from '../../src/webhook/admission.js';
import { defaultMutationSettings } from '../../src/webhook/constants.js';
import { createAdmissionHandler } from '../../src/webhook/handler.js';
import { realisticReview } from './review.js';

const here = dirname(fileURLToPath(import.meta.url));

interface LoadResult {
  requestsPerSecond: number;
  total: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  /** Server CPU time per request, in µs (user + system of the server process during the round). */
  cpuMicrosPerRequest: number;
}

function pinned(core: number, args: string[]): ChildProcess {
  const node = [process.execPath, '--import', 'tsx', ...args];
  const hasTaskset = existsSync('/usr/bin/taskset');
  return hasTaskset ? spawn('taskset', ['-c', String(core), ...node], { stdio: ['ignore', 'pipe', 'inherit'] }) : spawn(node[0]!, node.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    child.once('exit', (code) => reject(new Error(`child exited ${code} before answering`)));
  });
}

async function startServer(mode: 'webhook' | 'bare' | 'parse', dir: string): Promise<{ url: string; metricsUrl: string; stop(): Promise<void> }> {
  const child = pinned(0, [join(here, 'server-child.ts'), mode, dir]);
  const { port, metricsPort } = JSON.parse(await firstLine(child)) as { port: number; metricsPort: number };
  return {
    url: `https://127.0.0.1:${port}`,
    metricsUrl: `http://127.0.0.1:${metricsPort}`,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Medians over the rounds (requests/s, p50, p99); totals summed. */
function summarise(rounds: LoadResult[]): LoadResult {
  return {
    requestsPerSecond: median(rounds.map((r) => r.requestsPerSecond)),
    total: rounds.reduce((a, r) => a + r.total, 0),
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    errors: rounds.reduce((a, r) => a + r.errors, 0),
    non2xx: rounds.reduce((a, r) => a + r.non2xx, 0),
    cpuMicrosPerRequest: median(rounds.map((r) => r.cpuMicrosPerRequest)),
  };
}

function row(name: string, r: LoadResult, rounds: LoadResult[]): string {
  const each = rounds.map((x) => x.requestsPerSecond.toFixed(0)).join('/');
  return `${name.padEnd(18)} ${r.requestsPerSecond.toFixed(0).padStart(7)} req/s   p50 ${String(r.p50).padStart(3)} ms   p99 ${String(r.p99).padStart(4)} ms   ${r.cpuMicrosPerRequest.toFixed(0).padStart(4)} µs CPU/request   (rounds ${each} req/s; ${r.total} requests, ${r.errors} errors, ${r.non2xx} non-2xx)`;
}

export async function run(short: boolean): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'irsa-bench-webhook-'));
  try {
    // An ECDSA P-256 serving certificate, as cert-manager issues by default for ECDSA issuers; openssl keeps this standalone.
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.crt'), '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const body = JSON.stringify(realisticReview('checkout'));
    // The bare server answers exactly what the webhook answers for this review (same bytes, same size).
    const store = {
      lookupServiceAccount: async () => ({ serviceAccount: { namespace: 'shop', name: 'checkout', annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::111122223333:role/checkout' } }, source: 'cache' as const }),
      configMapEntries: () => undefined,
      containerCredentials: () => undefined,
      isSynced: () => true,
      size: () => 1,
    };
    const review = decodeAdmissionReview(body);
    const outcome = await createAdmissionHandler({ store, settings: { ...defaultMutationSettings(), awsDefaultRegion: 'us-west-2' }, lookupGracePeriodMs: 2000 }).admit(review);
    if (outcome.response.patch === undefined) throw new Error('benchmark review was not mutated');
    const response = encodeAdmissionReview(review, outcome.response);
    writeFileSync(join(dir, 'response.json'), response);

    // 10 s per server (3 s in short mode), as interleaved rounds: bare, webhook, bare, webhook, ...
    const rounds = 3;
    const duration = short ? 1 : 10 / rounds;
    const warmup = 1;
    console.log(`HTTPS POST /mutate, review ${body.length} B, response ${response.length} B, 32 connections, ${rounds} interleaved rounds of ${duration.toFixed(1)} s per server; servers on core 0, autocannon on core 1`);
    // `parse` (bare + JSON.parse of the body) shows the floor for any server that reads the review at all.
    const servers = { bare: await startServer('bare', dir), parse: await startServer('parse', dir), webhook: await startServer('webhook', dir) };
    let results: Record<'bare' | 'parse' | 'webhook', LoadResult[]>;
    try {
      const targets = (['bare', 'parse', 'webhook'] as const).map((name) => ({ name, url: servers[name].url, metricsUrl: servers[name].metricsUrl }));
      const child = pinned(1, [join(here, 'load-child.ts'), JSON.stringify({ targets, body, connections: 32, rounds, duration, warmup })]);
      results = JSON.parse(await firstLine(child)) as Record<'bare' | 'parse' | 'webhook', LoadResult[]>;
    } finally {
      await Promise.all([servers.bare.stop(), servers.parse.stop(), servers.webhook.stop()]);
    }
    const bare = summarise(results.bare);
    const parse = summarise(results.parse);
    const webhook = summarise(results.webhook);
    console.log(row('bare node:https', bare, results.bare));
    console.log(row('bare + JSON.parse', parse, results.parse));
    console.log(row('irsa webhook', webhook, results.webhook));
    const throughput = webhook.requestsPerSecond / bare.requestsPerSecond;
    const tail = webhook.p99 / Math.max(bare.p99, 1);
    const cpu = bare.cpuMicrosPerRequest / webhook.cpuMicrosPerRequest;
    console.log(`ratio: ${throughput.toFixed(2)}x bare req/s (goal >= 0.85), p99 ${tail.toFixed(2)}x bare (goal <= 1.5): ${throughput >= 0.85 && tail <= 1.5 ? 'goal met' : 'goal NOT met'}`);
    console.log(`CPU per request: webhook ${webhook.cpuMicrosPerRequest.toFixed(0)} µs vs bare ${bare.cpuMicrosPerRequest.toFixed(0)} µs = ${cpu.toFixed(2)}x bare throughput when CPU-bound (robust to noisy neighbours)`);
    console.log(`reading the review alone (bare + JSON.parse): ${(parse.requestsPerSecond / bare.requestsPerSecond).toFixed(2)}x bare req/s, ${parse.cpuMicrosPerRequest.toFixed(0)} µs CPU/request; webhook = ${(webhook.requestsPerSecond / parse.requestsPerSecond).toFixed(2)}x of that`);
    if (webhook.errors > 0 || webhook.non2xx > 0) console.log(`warning: the webhook had ${webhook.errors} errors and ${webhook.non2xx} non-2xx answers`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
