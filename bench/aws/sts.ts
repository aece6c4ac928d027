/**
 * Unsigned STS AssumeRoleWithWebIdentity against the plane (parameters, token checks with the JWKS cached, RS256
 * verification, trust-policy evaluation, session stored in SQLite, decision recorded, XML), beside a bare node:http
 * server doing one RS256 verification per request with a fixed answer of a real response's size (goal ≥ 0.7× that
 * floor; a 150-byte answer is measured beside it) and moto's server, which checks nothing (goal ≥ 10× it), in the
 * same run: 16 connections, servers on core 0, autocannon on core 1, interleaved rounds, paired ratios.
 * @module
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSigningKey, exportPublicKeyPem, generateSigningKeyPair, mintServiceAccountToken } from '../../src/oidc/index.js';
import { buildLabel } from './plane-build.js';
import { firstLine } from '../child-process.js';
import { median, pairedRatio, pinned, roundsFor, stop } from './iam.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Distinct tokens sent in turn: more than STS keeps in its memo of verified tokens (1,000). */
const TOKEN_POOL = 2048;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(url: string, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      await fetch(url);
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return false;
}

export async function runSts(short: boolean): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'irsa-bench-sts-'));
  const children: ChildProcess[] = [];
  try {
    const key = createSigningKey(generateSigningKeyPair({ type: 'rsa' }).privateKey);
    const keyFile = join(dir, 'sa-signer.pub');
    writeFileSync(keyFile, exportPublicKeyPem(key.publicKey));
    // Distinct tokens (each with its own jti), more than STS's memo of verified tokens holds, sent in turn: every
    // request's signature is verified, as the floor's is. The same token replayed is measured beside it.
    const mint = async () => (await mintServiceAccountToken({ signingKey: key, issuer: 'https://oidc.irsa.local', namespace: 'default', serviceAccountName: 'app', audiences: ['sts.amazonaws.com'], expirationSeconds: 3600 })).token;
    const tokens: string[] = [];
    for (let i = 0; i < TOKEN_POOL; i++) tokens.push(await mint());
    const token = tokens[0]!;
    const planeChild = pinned(0, [join(here, 'sts-server-child.ts'), 'plane', keyFile]);
    children.push(planeChild);
    const plane = JSON.parse(await firstLine(planeChild)) as { port: number };
    const bareChild = pinned(0, [join(here, 'sts-server-child.ts'), 'bare', keyFile]);
    children.push(bareChild);
    const bare = JSON.parse(await firstLine(bareChild)) as { port: number };
    const smallChild = pinned(0, [join(here, 'sts-server-child.ts'), 'bare-small', keyFile]);
    children.push(smallChild);
    const small = JSON.parse(await firstLine(smallChild)) as { port: number };
    const motoPort = await freePort();
    const moto = existsSync('/usr/bin/taskset')
      ? spawn('taskset', ['-c', '0', 'python3', '-m', 'moto.server', '-H', '127.0.0.1', '-p', String(motoPort)], { stdio: 'ignore' })
      : spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(motoPort)], { stdio: 'ignore' });
    children.push(moto);
    const motoUp = await waitFor(`http://127.0.0.1:${motoPort}/`, 30_000);
    const form = (t: string) => new URLSearchParams({ Action: 'AssumeRoleWithWebIdentity', Version: '2011-06-15', RoleArn: 'arn:aws:iam::111122223333:role/bench', RoleSessionName: 'bench', WebIdentityToken: t }).toString();
    const body = form(token);
    const bodies = tokens.map(form);
    const headers = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };
    const targets = [
      { name: 'bare', url: `http://127.0.0.1:${bare.port}/`, method: 'POST', headers, body, bodies },
      { name: 'small', url: `http://127.0.0.1:${small.port}/`, method: 'POST', headers, body, bodies },
      { name: 'plane', url: `http://127.0.0.1:${plane.port}/`, method: 'POST', headers, body, bodies },
      { name: 'replay', url: `http://127.0.0.1:${plane.port}/`, method: 'POST', headers, body },
      ...(motoUp ? [{ name: 'moto', url: `http://127.0.0.1:${motoPort}/`, method: 'POST', headers, body }] : []),
    ];
    for (const t of targets) {
      const r = await fetch(t.url, { method: 'POST', headers, body });
      if (r.status !== 200) throw new Error(`${t.name} refused the benchmark request: ${r.status} ${(await r.text()).slice(0, 300)}`);
    }
    const { rounds, duration } = roundsFor(short);
    console.log(`unsigned STS AssumeRoleWithWebIdentity (RS256 token, JWKS cached), 16 connections, ${rounds} interleaved rounds of ${duration} s; servers on core 0, autocannon on core 1; ${buildLabel}`);
    const loadOptions = join(dir, 'load.json');
    writeFileSync(loadOptions, JSON.stringify({ targets, connections: 16, rounds, duration, warmup: 1 }));
    const load = pinned(1, [join(here, 'load-child.ts'), loadOptions]);
    children.push(load);
    const results = JSON.parse(await firstLine(load)) as Record<string, Array<{ rps: number; p50: number; p99: number; total: number; non2xx: number; errors: number }>>;
    const label: Record<string, string> = {
      bare: 'bare: one RS256 verify, AWS-sized',
      small: 'bare: one RS256 verify, 150 bytes',
      plane: 'irsa AWS plane (STS)',
      replay: 'plane, one token replayed',
      moto: 'moto server (checks nothing)',
    };
    const rps = (name: string) => median(results[name]!.map((x) => x.rps));
    const ratio = (name: string, baseline: string) => pairedRatio(results[name]!.map((x) => x.rps), results[baseline]!.map((x) => x.rps));
    for (const name of Object.keys(results)) {
      const r = results[name]!;
      console.log(`${label[name]!.padEnd(34)} ${rps(name).toFixed(0).padStart(6)} req/s   p50 ${median(r.map((x) => x.p50))} ms   p99 ${median(r.map((x) => x.p99))} ms   (rounds ${r.map((x) => x.rps.toFixed(0)).join('/')}; ${r.reduce((a, x) => a + x.non2xx + x.errors, 0)} non-2xx/errors)`);
    }
    const floor = ratio('plane', 'bare');
    console.log(`ratio: plane AssumeRoleWithWebIdentity = ${floor.toFixed(2)}x the bare RS256 floor answering a fixed AWS-sized response, ${TOKEN_POOL} distinct tokens in turn (goal >= 0.7): ${floor >= 0.7 ? 'goal met' : 'goal NOT met'}`);
    console.log(`      against a floor answering 150 bytes (earlier runs' floor): ${ratio('plane', 'small').toFixed(2)}x`);
    console.log(`      one token replayed: ${ratio('replay', 'bare').toFixed(2)}x (STS's memo of verified tokens skips the repeated RSA verification; not the goal's figure)`);
    if (results.moto !== undefined) {
      const vsMoto = ratio('plane', 'moto');
      console.log(`ratio: plane = ${vsMoto.toFixed(1)}x moto's server (goal >= 10): ${vsMoto >= 10 ? 'goal met' : 'goal NOT met'}`);
    } else console.log('moto: python3 -m moto.server did not start; no ratio');
  } finally {
    await Promise.all(children.map(stop));
    rmSync(dir, { recursive: true, force: true });
  }
}
