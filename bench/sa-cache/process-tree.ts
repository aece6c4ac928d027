/**
 * bench/sa-cache, part 2: `irsa webhook --workers N` as deployed (the CLI, ServiceAccounts by list+watch from the
 * API stand-in) holding every ServiceAccount, measured as the kernel sees it: the resident memory (VmRSS) of the
 * primary and each worker, summed over the process tree, against the memory limit of deploy/'s webhook container.
 * @module
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { parse } from 'yaml';
import { webhookListeningPort } from '../child-process.js';

const REPO = join(import.meta.dirname, '..', '..');

/** The webhook container's memory limit in deploy/base (bytes) and as written. */
export function deploymentMemoryLimit(): { bytes: number; text: string } {
  const doc = parse(readFileSync(join(REPO, 'deploy', 'base', 'deployment.yaml'), 'utf8')) as { spec: { template: { spec: { containers: Array<{ resources?: { limits?: { memory?: string } } }> } } } };
  const text = doc.spec.template.spec.containers[0]?.resources?.limits?.memory ?? '';
  const m = /^(\d+)(Ki|Mi|Gi)?$/.exec(text);
  if (!m) throw new Error(`deploy/base/deployment.yaml: no memory limit on the webhook container (got ${JSON.stringify(text)})`);
  const unit = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 }[m[2] as 'Ki' | 'Mi' | 'Gi'] ?? 1;
  return { bytes: Number(m[1]) * unit, text };
}

/** VmRSS (bytes) of `root` and of each live descendant, by pid. */
function treeRss(root: number): Map<number, number> {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // ended meanwhile
    }
  }
  const out = new Map<number, number>();
  const todo = [root];
  while (todo.length > 0) {
    const pid = todo.pop()!;
    try {
      const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      if (kb !== undefined) out.set(pid, Number(kb) * 1024);
    } catch {
      continue;
    }
    for (const [child, ppid] of parents) if (ppid === pid) todo.push(child);
  }
  return out;
}

function readyz(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/readyz', rejectUnauthorized: false, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}

/** Which CLI bin/irsa runs here: the compiled one (as the image does) or the sources through tsx (more memory). */
export function cliKind(): string {
  return existsSync(join(REPO, 'dist', 'cli', 'main.js')) && !process.env.IRSA_FROM_SOURCE ? 'compiled dist/, as in the image' : 'the sources through tsx (npm run build first for the image\'s figures)';
}

export interface TreeMemory {
  workers: number;
  /** RSS of the primary, then of each worker. */
  rss: number[];
  total: number;
  syncMs: number;
}

/** Starts `irsa webhook --workers N --kube-api url`, waits until every worker answers /readyz, sums the tree's RSS. */
export async function measureTree(apiUrl: string, dir: string, workers: number): Promise<TreeMemory> {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.crt'), '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
  const started = performance.now();
  const child = spawn(process.execPath, [join(REPO, 'bin', 'irsa'), 'webhook', `--workers=${workers}`, '--in-cluster=false', '--port=0', '--metrics-port=0', `--tls-cert=${join(dir, 'tls.crt')}`, `--tls-key=${join(dir, 'tls.key')}`, `--kube-api=${apiUrl}`, '--log-format=json'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  try {
    const port = await webhookListeningPort(child);
    // Ready on every worker: each fresh connection may land on any of them; 20 in a row answering 200.
    let inARow = 0;
    while (inARow < 20) {
      inARow = (await readyz(port)) === 200 ? inARow + 1 : 0;
      if (inARow === 0) await new Promise((r) => setTimeout(r, 100));
    }
    const syncMs = performance.now() - started;
    await new Promise((r) => setTimeout(r, 2000)); // let the snapshot's transient garbage be collected
    const byPid = treeRss(child.pid!);
    const rss = [byPid.get(child.pid!) ?? 0, ...[...byPid].filter(([pid]) => pid !== child.pid).map(([, b]) => b)];
    return { workers, rss, total: rss.reduce((a, b) => a + b, 0), syncMs };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}
