/**
 * Server RSS under the two memory attacks of issue 8 (item 3), with the limits (defaults) and without them (the
 * baseline: buffered-bytes limits and the connection cap off, as before the fix), in the same run:
 * - one HTTP/2 client that never reads (initial window 0) sending 150 streams of a 2.5 MB pod (short: 20 × 0.5 MB);
 * - 2,000 idle keep-alive HTTP/1.1 connections (short: 300), opened one after another (on a busy machine this takes
 *   longer than the 90 s idle timeout, so the first ones are already closed again when the peak is read).
 * Prints peak RSS (MB) of the server process for each, and the ratio.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as http2Connect } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { podCreateReview } from '../admission-review.js';

const child = fileURLToPath(new URL('./server-child.ts', import.meta.url));
// The baseline: no buffered-bytes limits, no connection cap, and (as before) nothing closing idle connections.
const UNLIMITED = { maxBufferedBytes: 'Infinity', maxSessionBufferedBytes: 'Infinity', maxConnections: 'Infinity', idleTimeoutMs: 3_600_000 };

interface Server {
  proc: ChildProcess;
  port: number;
  sample(): Promise<{ rss: number; buffered: number }>;
  stop(): Promise<void>;
}

async function startServer(dir: string, limits: Record<string, unknown>): Promise<Server> {
  const proc = fork(child, [dir, JSON.stringify(limits)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    proc.stdout!.once('data', (c: Buffer) => resolve((JSON.parse(c.toString()) as { port: number }).port));
    proc.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  return {
    proc,
    port,
    sample: () => new Promise((resolve) => {
      proc.once('message', (m) => resolve(m as { rss: number; buffered: number }));
      proc.send('rss');
    }),
    stop: () => new Promise((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    }),
  };
}

const mb = (n: number): string => (n / 1e6).toFixed(0);

async function peakWhile(server: Server, ms: number): Promise<number> {
  let peak = 0;
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const { rss } = await server.sample();
    peak = Math.max(peak, rss);
    await new Promise((r) => setTimeout(r, 100));
  }
  return peak;
}

async function nonReadingHttp2(server: Server, ca: string, streams: number, podBytes: number, windowMs: number): Promise<{ before: number; peak: number; refused: number }> {
  const before = (await server.sample()).rss;
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'big', namespace: 'shop', annotations: { filler: 'x'.repeat(podBytes / 2) } }, spec: { serviceAccountName: 'app', containers: [{ name: 'app', image: 'app', args: ['y'.repeat(podBytes / 2)] }] } };
  const body = JSON.stringify(podCreateReview(pod, 'shop'));
  // The client queues 150 bodies at once: let its own session hold them (Node's default cap is 10 MB).
  const session = http2Connect(`https://127.0.0.1:${server.port}`, { ca, servername: 'localhost', settings: { initialWindowSize: 0 }, maxSessionMemory: 4096 });
  session.on('error', (err) => console.error(`  client session error: ${err.message}`));
  let refused = 0;
  for (let i = 0; i < streams; i++) {
    const stream = session.request({ ':method': 'POST', ':path': '/mutate', 'content-type': 'application/json' });
    stream.on('error', () => undefined);
    stream.on('close', () => {
      if (stream.rstCode === 7) refused++;
      else if (stream.rstCode !== 0 && process.env.BENCH_DEBUG) console.error(`  stream closed with code ${stream.rstCode}`);
    });
    stream.end(body);
  }
  const peak = await peakWhile(server, windowMs);
  session.destroy();
  return { before, peak, refused };
}

async function idleConnections(server: Server, ca: string, count: number): Promise<{ before: number; peak: number; open: number }> {
  const before = (await server.sample()).rss;
  const sockets: TLSSocket[] = [];
  let open = 0;
  for (let i = 0; i < count; i++) {
    const socket = await new Promise<TLSSocket | undefined>((resolve) => {
      const s = tlsConnect({ host: '127.0.0.1', port: server.port, ca, servername: 'localhost', ALPNProtocols: ['http/1.1'] });
      s.once('error', () => resolve(undefined));
      s.once('close', () => resolve(undefined));
      s.once('secureConnect', () => {
        s.write('GET /healthz HTTP/1.1\r\nhost: localhost\r\n\r\n');
        s.once('data', () => resolve(s));
      });
    });
    if (socket !== undefined) {
      sockets.push(socket);
      socket.once('close', () => open--);
      open++;
    }
  }
  const peak = await peakWhile(server, 1500);
  for (const s of sockets) s.destroy();
  return { before, peak, open };
}

export async function run(short: boolean): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'irsa-bench-mem-'));
  try {
    const key = join(dir, 'tls.key');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', join(dir, 'tls.crt'), '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
    const ca = execFileSync('cat', [join(dir, 'tls.crt')], { encoding: 'utf8' });
    const streams = short ? 20 : Number(process.env.BENCH_STREAMS ?? 150);
    const podBytes = short ? 500_000 : 2_500_000;
    const connections = short ? 300 : 2000;
    for (const [name, limits] of [['without limits (baseline)', UNLIMITED], ['with limits (defaults)', {}]] as const) {
      const a = await startServer(dir, limits);
      const h2 = await nonReadingHttp2(a, ca, streams, podBytes, short ? 6000 : 25_000);
      await a.stop();
      let idle = { before: 0, peak: 0, open: 0 };
      if (!process.env.BENCH_SKIP_IDLE) {
        const b = await startServer(dir, limits);
        idle = await idleConnections(b, ca, connections);
        await b.stop();
      }
      console.log(`${name}: non-reading HTTP/2 client, ${streams} streams × ${podBytes / 1e6} MB: RSS ${mb(h2.before)} → ${mb(h2.peak)} MB (${h2.refused} streams refused); ${connections} idle keep-alive connections: RSS ${mb(idle.before)} → ${mb(idle.peak)} MB (${idle.open} kept open)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run(process.argv.includes('--short'));
