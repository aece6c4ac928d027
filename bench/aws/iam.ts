/**
 * Signed IAM GetRole against the plane (SigV4 verification, credential lookup in SQLite, authorization through the
 * policy engine with the decision recorded, XML response), beside a bare node:http server that verifies one SigV4
 * signature per request and answers a fixed body, in the same run. The same signed request (16 connections) is
 * replayed to each; servers on core 0, autocannon on core 1, interleaved rounds. Goal: ≥ 0.7× the floor.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signRequest } from '../../test/aws/sign.js';
import { buildLabel } from './plane-build.js';
import { firstLine } from '../child-process.js';

const here = dirname(fileURLToPath(import.meta.url));

export function pinned(core: number, args: string[]): ChildProcess {
  const node = [process.execPath, '--import', 'tsx', ...args];
  return existsSync('/usr/bin/taskset')
    ? spawn('taskset', ['-c', String(core), ...node], { stdio: ['ignore', 'pipe', 'inherit'] })
    : spawn(node[0]!, node.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
}


export function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * The ratio of two servers' rates: the median over rounds of each round's ratio. The machine's speed drifts over
 * seconds (shared cores); the two runs of one round are adjacent, so their ratio drifts far less than either rate.
 */
export function pairedRatio(rates: number[], baseline: number[]): number {
  return median(rates.map((r, i) => r / baseline[i]!));
}

/**
 * Interleaved rounds and their length: many short rounds pair better than a few long ones, since the host's speed
 * changes within seconds (the full run: 14 rounds of 1 s, the time 7 rounds of 2 s took, with twice the pairs for the
 * median; `--short`, as CI runs it, 5 rounds of 1 s).
 */
export function roundsFor(short: boolean): { rounds: number; duration: number } {
  return short ? { rounds: 5, duration: 1 } : { rounds: 14, duration: 1 };
}

export async function runIam(short: boolean): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'irsa-bench-aws-'));
  const children: ChildProcess[] = [];
  try {
    const planeChild = pinned(0, [join(here, 'server-child.ts'), 'plane', dir]);
    children.push(planeChild);
    const plane = JSON.parse(await firstLine(planeChild)) as { port: number; accessKeyId: string; secretAccessKey: string };
    const bareChild = pinned(0, [join(here, 'server-child.ts'), 'bare', plane.secretAccessKey]);
    children.push(bareChild);
    const bare = JSON.parse(await firstLine(bareChild)) as { port: number };
    const body = 'Action=GetRole&Version=2010-05-08&RoleName=bench';
    const target = async (name: string, port: number) => {
      const signed = await signRequest({
        url: `http://127.0.0.1:${port}`,
        credentials: { accessKeyId: plane.accessKeyId, secretAccessKey: plane.secretAccessKey },
        service: 'iam',
        body,
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      });
      return { name, url: signed.url, method: 'POST', headers: signed.headers, body };
    };
    const targets = [await target('bare', bare.port), await target('plane', plane.port)];
    const check = await fetch(targets[1]!.url, { method: 'POST', headers: Object.fromEntries(Object.entries(targets[1]!.headers).filter(([k]) => k !== 'host')), body });
    if (check.status !== 200) throw new Error(`the plane refused the benchmark request: ${check.status} ${await check.text()}`);
    const { rounds, duration } = roundsFor(short);
    console.log(`signed IAM GetRole (POST form, SigV4 header auth, admin key; authorization + decision log on), 16 connections, ${rounds} interleaved rounds of ${duration} s; servers on core 0, autocannon on core 1; ${buildLabel}`);
    const load = pinned(1, [join(here, 'load-child.ts'), JSON.stringify({ targets, connections: 16, rounds, duration, warmup: 1 })]);
    children.push(load);
    const results = JSON.parse(await firstLine(load)) as Record<string, Array<{ rps: number; p50: number; p99: number; total: number; non2xx: number; errors: number }>>;
    const line = (name: string) => {
      const r = results[name]!;
      return `${(name === 'bare' ? 'bare node:http + one SigV4 check' : 'irsa AWS plane').padEnd(34)} ${median(r.map((x) => x.rps)).toFixed(0).padStart(6)} req/s   p50 ${median(r.map((x) => x.p50))} ms   p99 ${median(r.map((x) => x.p99))} ms   (rounds ${r.map((x) => x.rps.toFixed(0)).join('/')}; ${r.reduce((a, x) => a + x.non2xx + x.errors, 0)} non-2xx/errors)`;
    };
    console.log(line('bare'));
    console.log(line('plane'));
    const ratio = pairedRatio(results.plane!.map((x) => x.rps), results.bare!.map((x) => x.rps));
    console.log(`ratio: plane GetRole = ${ratio.toFixed(2)}x the bare SigV4 floor (goal >= 0.7): ${ratio >= 0.7 ? 'goal met' : 'goal NOT met'}`);
  } finally {
    await Promise.all(children.map(stop));
    rmSync(dir, { recursive: true, force: true });
  }
}
