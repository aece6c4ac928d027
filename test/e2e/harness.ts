/**
 * What the end-to-end tests share: `bin/irsa up` spawned as a user runs it (temporary state directory, free
 * ports), processes run with a deadline and stopped whatever happens, outside clients found or skipped (failed
 * under CI=true), and the network namespace in which unmodified old clients reach the plane under AWS's own names.
 * @module
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import { skipOrFail } from '../outside-client.js';

export const repo = join(import.meta.dirname, '..', '..');
export const irsaBin = join(repo, 'bin', 'irsa');
export const CI = process.env.CI === 'true';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Children still running; {@link stopAll} ends them (registered in t.after by each test). */
const running = new Set<ChildProcess>();

/** Runs a command to its end (or its deadline, then SIGKILL); never rejects for a non-zero exit. */
export function run(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), options.timeoutMs ?? 180_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      running.delete(child);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin!.on('error', () => {}); // a child that exits without reading its input is not an error here
    child.stdin!.end(options.input ?? '');
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal); // the whole group: irsa exec's command, a namespace's forwarder
  } catch {
    child.kill(signal);
  }
}

/** Stops every child still running (SIGTERM, then SIGKILL after 5 s) and waits for them. */
export async function stopAll(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const hard = setTimeout(() => killGroup(child, 'SIGKILL'), 5000);
          child.once('close', () => {
            clearTimeout(hard);
            resolve();
          });
          killGroup(child, 'SIGTERM');
        }),
    ),
  );
}

/** `bin/irsa ARGS` with the given environment. */
export function irsa(args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return run(process.execPath, [irsaBin, ...args], { ...options, env: { ...(options.env ?? process.env), IRSA_FROM_SOURCE: '1' } });
}

/** What `irsa up` printed and wrote, as a user reads it off the banner and the env file. */
export interface UpInfo {
  banner: string;
  env: Record<string, string>;
  envPath: string;
  webhookUrl: string;
  caPath: string;
  awsUrl: string;
  awsTlsUrl: string;
  providerArn: string;
  conditionKeyPrefix: string;
  stateDir: string;
  /** The running process's stderr (log lines) so far. */
  logs(): string;
}

/** Reads an env file of `export NAME=value` lines. */
export function readEnvFile(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^export ([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

function field(banner: string, re: RegExp, what: string): string {
  const m = re.exec(banner);
  assert.ok(m, `irsa up's banner has no ${what}:\n${banner}`);
  return m[1]!;
}

/**
 * Spawns `bin/irsa up` with `--state-dir` and free ports, as a user would, and waits for its banner.
 * The process is stopped in t.after.
 */
export async function startIrsaUp(t: TestContext, options: { stateDir: string; serviceAccounts: string; cwd: string }): Promise<UpInfo> {
  const args = ['up', '--state-dir', options.stateDir, '--service-accounts', options.serviceAccounts];
  for (const flag of ['--issuer-port', '--webhook-port', '--metrics-port', '--aws-port', '--aws-tls-port']) args.push(flag, '0');
  const child = spawn(process.execPath, [irsaBin, ...args], { cwd: options.cwd, env: { ...process.env, IRSA_FROM_SOURCE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const hard = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(hard);
    }
  });
  const deadline = Date.now() + 180_000;
  while (!stdout.includes('\nTry:\n')) {
    if (child.exitCode !== null) assert.fail(`irsa up exited ${child.exitCode} before its banner:\n${stdout}\n${stderr}`);
    if (Date.now() > deadline) assert.fail(`irsa up printed no banner within 180 s:\n${stdout}\n${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 50)); // the rest of the banner
  const banner = stdout;
  const envPath = join(options.stateDir, 'env');
  return {
    banner,
    env: readEnvFile(envPath),
    envPath,
    webhookUrl: field(banner, /^ {2}webhook +(https:\/\/\S+)/m, 'webhook URL'),
    caPath: resolve(options.cwd, field(banner, /\(AdmissionReview v1\/v1beta1; CA (\S+)\)/, 'CA')), // the banner shows it relative to the working directory
    awsUrl: field(banner, /^ {2}aws +(http:\/\/\S+)/m, 'AWS endpoint'),
    awsTlsUrl: field(banner, /^ +(https:\/\/\S+) +\(HTTPS for/m, 'AWS HTTPS endpoint'),
    providerArn: field(banner, /^ {2}provider +(arn:aws:iam::\d{12}:oidc-provider\/\S+)/m, 'provider ARN'),
    conditionKeyPrefix: field(banner, /trust-policy condition keys: (\S+):sub,/, 'condition key prefix'),
    stateDir: options.stateDir,
    logs: () => stderr,
  };
}

/**
 * A client the test drives: present, or the subtest is skipped with the reason (outside CI) or fails (CI=true).
 * Returns false when the caller must return.
 */
export function requireClient(t: TestContext, present: boolean, reason: string): boolean {
  return !skipOrFail(t, present ? null : reason);
}

/** Whether `command args` exits 0 (a client's presence check). */
export function works(command: string, args: readonly string[]): boolean {
  if (command.startsWith('/') && !existsSync(command)) return false;
  const r = spawnSync(command, args, { stdio: 'ignore', timeout: 60_000 });
  return r.status === 0;
}

/** The unshare arguments that give a private mount and network namespace here (root, or a user namespace), or undefined. */
export function namespaceArgs(): string[] | undefined {
  const candidates = process.getuid?.() === 0 ? [['--mount', '--net'], ['--user', '--map-root-user', '--mount', '--net']] : [['--user', '--map-root-user', '--mount', '--net']];
  for (const args of candidates) {
    const r = spawnSync('unshare', [...args, 'sh', '-c', 'ip link set lo up && mount --bind /dev/null /dev/null'], { stdio: 'ignore', timeout: 30_000 });
    if (r.status === 0) return args;
  }
  return undefined;
}

/** A unix socket that forwards each connection to 127.0.0.1:port (the bridge into a client's network namespace). */
export async function bridgeUnixSocketToPort(t: TestContext, socketPath: string, port: number): Promise<void> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(socketPath, () => resolve()));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  );
}
