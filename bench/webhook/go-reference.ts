/**
 * The upstream Go webhook (amazon-eks-pod-identity-webhook v0.6.17) and its stand-in API server, from
 * `../shared/reference/eks-webhook` next to the repository (or `$EKS_WEBHOOK_REFERENCE`). A user's clone has
 * neither: `findGoReference()` then says why and the bench skips the Go side.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface GoReference {
  binary: string;
  stub: string;
}

/** The reference build, or a sentence saying why there is none. */
export function findGoReference(): GoReference | string {
  const root = process.env.EKS_WEBHOOK_REFERENCE ?? resolve(repo, '../shared/reference/eks-webhook');
  const binary = join(root, 'bin/amazon-eks-pod-identity-webhook-v0.6.17');
  const stub = join(root, 'stub/stub-apiserver.js');
  if (!existsSync(binary) || !existsSync(stub)) return `no Go reference webhook at ${root} (set EKS_WEBHOOK_REFERENCE to its directory): Go side skipped`;
  return { binary, stub };
}

export interface RunningGo {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((r) => {
    if (child.exitCode !== null || child.signalCode !== null) return r();
    child.once('exit', () => r());
    child.kill('SIGTERM');
  });
}

async function waitFor(check: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not come up within ${ms} ms`);
}

/** Starts the stub API server (fixtures.json in `dir`) and the Go webhook, optionally pinned with taskset. */
export async function startGoWebhook(ref: GoReference, dir: string, ports: { stub: number; webhook: number; metrics: number }, options: { core?: number | string; region: string }): Promise<RunningGo> {
  const stub = spawn(process.execPath, [ref.stub, '--port', String(ports.stub), '--fixtures', join(dir, 'fixtures.json'), '--quiet'], { stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    await waitFor(async () => (await fetch(`http://127.0.0.1:${ports.stub}/version`)).ok, 'the stub API server');
  } catch (err) {
    await stopChild(stub);
    throw err;
  }
  writeFileSync(join(dir, 'kubeconfig'), `apiVersion: v1\nkind: Config\nclusters:\n- name: s\n  cluster:\n    server: http://127.0.0.1:${ports.stub}\nusers:\n- name: s\n  user:\n    token: t\ncontexts:\n- name: s\n  context:\n    cluster: s\n    user: s\ncurrent-context: s\n`);
  writeFileSync(join(dir, 'pod-identity.json'), '{"identities":[]}');
  const args = ['--in-cluster=false', `--tls-cert=${join(dir, 'tls.crt')}`, `--tls-key=${join(dir, 'tls.key')}`, `--aws-default-region=${options.region}`, `--kubeconfig=${join(dir, 'kubeconfig')}`, `--port=${ports.webhook}`, `--metrics-port=${ports.metrics}`, '--service-account-lookup-grace-period=0', `--watch-container-credentials-config=${join(dir, 'pod-identity.json')}`];
  const go = options.core === undefined
    ? spawn(ref.binary, args, { stdio: 'ignore' })
    : spawn('taskset', ['-c', String(options.core), ref.binary, ...args], { stdio: 'ignore' });
  const stop = async () => {
    await stopChild(go);
    await stopChild(stub);
  };
  try {
    // /metrics answers once the webhook runs; the caller waits for the cache (first review mutated).
    await waitFor(async () => (await fetch(`http://127.0.0.1:${ports.metrics}/metrics`)).ok, 'the Go webhook');
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `https://127.0.0.1:${ports.webhook}`, pid: go.pid!, stop };
}
