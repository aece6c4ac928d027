/**
 * Signed S3 ListBuckets per second (autocannon, 16 connections, one request signed with SigV4 and replayed) against:
 * the local plane's S3; in the same run a bare node:http server that verifies one SigV4 signature per request and
 * answers the plane's exact body (the floor: goal ≥ 0.7×); and moto's server (`python3 -m moto.server`, which checks
 * no signature: goal ≥ 10×). Servers run in their own processes; rounds alternate between them.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignatureV4 } from '@smithy/signature-v4';
import { buildLabel } from './plane-build.js';
import { firstLine, freePort } from '../child-process.js';
import { median, pairedRatio, roundsFor } from './iam.js';

const here = dirname(fileURLToPath(import.meta.url));
const autocannon = createRequire(import.meta.url)('autocannon') as (o: Record<string, unknown>) => Promise<{ requests: { average: number; total: number }; non2xx: number; errors: number }>;

/** node:crypto as the smithy signer's hash constructor (HMAC when given a secret). */
class Sha256 {
  private readonly h: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', typeof secret === 'string' ? secret : toBytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.h.update(typeof data === 'string' ? data : toBytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return this.h.digest();
  }
}
function toBytes(data: ArrayBuffer | ArrayBufferView): Uint8Array {
  return data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

const EMPTY_SHA256 = createHash('sha256').digest('hex');

async function signed(method: string, port: number, path: string, creds: { accessKeyId: string; secretAccessKey: string }, body = ''): Promise<Record<string, string>> {
  const signer = new SignatureV4({ service: 's3', region: 'us-east-1', credentials: creds, sha256: Sha256, uriEscapePath: false });
  const req = await signer.sign({
    method,
    protocol: 'http:',
    hostname: '127.0.0.1',
    port,
    path,
    headers: { host: `127.0.0.1:${port}`, 'x-amz-content-sha256': body === '' ? EMPTY_SHA256 : createHash('sha256').update(body).digest('hex') },
    body,
  });
  return req.headers;
}



async function waitFor(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await fetch(url);
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

export async function runS3ListBuckets(short: boolean): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'irsa-bench-s3-'));
  const children: ChildProcess[] = [];
  try {
    const plane = spawn(process.execPath, ['--import', 'tsx', join(here, 's3-server-child.ts'), 'plane', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(plane);
    const p = JSON.parse(await firstLine(plane)) as { port: number; accessKeyId: string; secretAccessKey: string };
    const creds = { accessKeyId: p.accessKeyId, secretAccessKey: p.secretAccessKey };
    for (const b of ['bench-a', 'bench-b', 'bench-c']) {
      const res = await fetch(`http://127.0.0.1:${p.port}/${b}`, { method: 'PUT', headers: await signed('PUT', p.port, `/${b}`, creds) });
      if (res.status !== 200) throw new Error(`CreateBucket ${b}: ${res.status} ${await res.text()}`);
    }
    const planeHeaders = await signed('GET', p.port, '/', creds);
    const planeBody = await (await fetch(`http://127.0.0.1:${p.port}/`, { headers: planeHeaders })).text();
    if (!planeBody.includes('<Name>bench-c</Name>')) throw new Error(`ListBuckets: ${planeBody}`);
    writeFileSync(join(dir, 'body.xml'), planeBody);

    const bare = spawn(process.execPath, ['--import', 'tsx', join(here, 's3-server-child.ts'), 'bare', creds.secretAccessKey, join(dir, 'body.xml')], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(bare);
    const bPort = (JSON.parse(await firstLine(bare)) as { port: number }).port;
    const bareHeaders = await signed('GET', bPort, '/', creds);
    if ((await fetch(`http://127.0.0.1:${bPort}/`, { headers: bareHeaders })).status !== 200) throw new Error('bare server refused a valid signature');

    const targets: Array<{ name: string; url: string; headers: Record<string, string> }> = [
      { name: 'bare SigV4 floor', url: `http://127.0.0.1:${bPort}/`, headers: bareHeaders },
      { name: 'irsa-kit S3', url: `http://127.0.0.1:${p.port}/`, headers: planeHeaders },
    ];
    const motoPort = await freePort();
    const moto = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(motoPort)], { stdio: ['ignore', 'ignore', 'ignore'] });
    children.push(moto);
    try {
      await waitFor(`http://127.0.0.1:${motoPort}/moto-api/`, 30_000);
      const motoCreds = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
      for (const b of ['bench-a', 'bench-b', 'bench-c']) await fetch(`http://127.0.0.1:${motoPort}/${b}`, { method: 'PUT', headers: await signed('PUT', motoPort, `/${b}`, motoCreds) });
      targets.push({ name: 'moto.server', url: `http://127.0.0.1:${motoPort}/`, headers: await signed('GET', motoPort, '/', motoCreds) });
    } catch (err) {
      console.log(`moto.server not available (${(err as Error).message}); skipping the moto comparison`);
    }

    const { rounds, duration } = roundsFor(short);
    console.log(`signed S3 ListBuckets (3 buckets, ${planeBody.length} B), 16 connections, ${rounds} interleaved rounds of ${duration} s per server; ${buildLabel}`);
    const results = new Map<string, number[]>(targets.map((t) => [t.name, []]));
    for (const t of targets) await autocannon({ url: t.url, headers: t.headers, connections: 16, duration: 1 });
    for (let round = 0; round < rounds; round++) {
      for (const t of targets) {
        const r = await autocannon({ url: t.url, headers: t.headers, connections: 16, duration });
        if (r.non2xx > 0 || r.errors > 0) throw new Error(`${t.name}: ${r.non2xx} non-2xx, ${r.errors} errors`);
        results.get(t.name)!.push(r.requests.average);
      }
    }
    const rate = (name: string) => median(results.get(name) ?? [0]);
    const ratio = (name: string, baseline: string) => pairedRatio(results.get(name)!, results.get(baseline)!);
    for (const t of targets) console.log(`${t.name.padEnd(18)} ${rate(t.name).toFixed(0).padStart(7)} req/s   (rounds ${results.get(t.name)!.map((x) => x.toFixed(0)).join('/')})`);
    console.log(`ratio vs bare SigV4 server: ${ratio('irsa-kit S3', 'bare SigV4 floor').toFixed(2)}x (goal >= 0.7x)`);
    if (results.has('moto.server')) console.log(`ratio vs moto.server:      ${ratio('irsa-kit S3', 'moto.server').toFixed(1)}x (goal >= 10x)`);
  } finally {
    await Promise.all(children.map(stop));
    rmSync(dir, { recursive: true, force: true });
  }
}
