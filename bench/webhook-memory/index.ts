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

async function peakWhile(server: Server, ms: number, done: () => boolean = () => false): Promise<{ rss: number; buffered: number }> {
  const peak = { rss: 0, buffered: 0 };
  const until = Date.now() + ms;
  let settledAt: number | undefined;
  while (Date.now() < until) {
    const { rss, buffered } = await server.sample();
    peak.rss = Math.max(peak.rss, rss);
    peak.buffered = Math.max(peak.buffered, buffered);
    // keep sampling 1.5 s after every stream is answered or refused: the peak comes while responses pile up
    if (done()) settledAt ??= Date.now();
    if (settledAt !== undefined && Date.now() - settledAt > 1500) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return peak;
}

interface Http2Result {
  before: number;
  peak: number;
  /** Most request + response bytes the server held at one time (its own count). */
  peakBuffered: number;
  /** Streams whose upload completed and were answered (response headers arrived; the body stays unread). */
  answered: number;
  refused: number;
  seconds: number;
}

/**
 * One client, every stream's 2.5 MB body uploaded, nothing read back: the client's SETTINGS_INITIAL_WINDOW_SIZE 0
 * applies to what the server sends it, while the server's own receive window (65,535 per stream, replenished as
 * it reads) lets the uploads through. The peak is sampled until every stream is answered or refused (the upload
 * of 375 MB over TLS takes from seconds to a minute on a busy machine), at most `maxMs`.
 */
async function nonReadingHttp2(server: Server, ca: string, streams: number, podBytes: number, maxMs: number): Promise<Http2Result> {
  const before = (await server.sample()).rss;
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'big', namespace: 'shop', annotations: { filler: 'x'.repeat(podBytes / 2) } }, spec: { serviceAccountName: 'app', containers: [{ name: 'app', image: 'app', args: ['y'.repeat(podBytes / 2)] }] } };
  const body = JSON.stringify(podCreateReview(pod, 'shop'));
  // The client queues 150 bodies at once: let its own session hold them (Node's default cap is 10 MB).
  const session = http2Connect(`https://127.0.0.1:${server.port}`, { ca, servername: 'localhost', settings: { initialWindowSize: 0 }, maxSessionMemory: 4096 });
  session.on('error', (err) => console.error(`  client session error: ${err.message}`));
  let refused = 0;
  let answered = 0;
  let otherwiseClosed = 0;
  const started = Date.now();
  for (let i = 0; i < streams; i++) {
    const stream = session.request({ ':method': 'POST', ':path': '/mutate', 'content-type': 'application/json' });
    let gotResponse = false;
    stream.on('error', () => undefined);
    stream.on('response', () => {
      gotResponse = true;
      answered++;
    });
    stream.on('close', () => {
      if (gotResponse) return;
      if (stream.rstCode === 7) refused++;
      else {
        otherwiseClosed++;
        if (process.env.BENCH_DEBUG) console.error(`  stream closed with code ${stream.rstCode}`);
      }
    });
    stream.end(body);
  }
  const peak = await peakWhile(server, maxMs, () => answered + refused + otherwiseClosed >= streams);
  const seconds = (Date.now() - started) / 1000;
  session.destroy();
  return { before, peak: peak.rss, peakBuffered: peak.buffered, answered, refused, seconds };
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
  const peak = (await peakWhile(server, 1500)).rss;
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
      const h2 = await nonReadingHttp2(a, ca, streams, podBytes, short ? 30_000 : 120_000);
      await a.stop();
      let idleText = 'idle connections skipped (BENCH_SKIP_IDLE)';
      if (!process.env.BENCH_SKIP_IDLE) {
        const b = await startServer(dir, limits);
        const idle = await idleConnections(b, ca, connections);
        await b.stop();
        idleText = `${connections} idle keep-alive connections: RSS ${mb(idle.before)} → ${mb(idle.peak)} MB (${idle.open} kept open)`;
      }
      console.log(`${name}: non-reading HTTP/2 client, ${streams} streams × ${podBytes / 1e6} MB: RSS ${mb(h2.before)} → ${mb(h2.peak)} MB, server held at most ${mb(h2.peakBuffered)} MB (${h2.answered} answered and left unread, ${h2.refused} refused, ${h2.seconds.toFixed(0)} s); ${idleText}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run(process.argv.includes('--short'));
