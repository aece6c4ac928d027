import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { connect } from 'node:tls';
import { tempDir } from '../oidc/helpers.js';
import { IRSA, irsa, oneLine, REPO, userEnv } from './irsa-process.js';

const dir = tempDir('irsa-up-hard-');
const SAS = join(REPO, 'examples', 'service-accounts');
const PORTS = ['--issuer-port', '0', '--webhook-port', '0', '--metrics-port', '0', '--aws-port', '0'];

interface Running {
  child: ChildProcess;
  out: () => string;
}

/** Starts `irsa up` (optionally under `umask 000`), resolves once it printed its banner; stopped in t.after. */
async function startUp(t: TestContext, args: string[], options: { umask000?: boolean; cwd?: string } = {}): Promise<Running> {
  const argv = [IRSA, 'up', ...PORTS, '--log-format', 'json', ...args];
  const child = options.umask000
    ? spawn('sh', ['-c', 'umask 000; exec "$@"', 'sh', process.execPath, ...argv], { cwd: options.cwd ?? REPO, env: userEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, argv, { cwd: options.cwd ?? REPO, env: userEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`irsa up did not start: ${out}${err}`)), 60_000);
    child.stdout!.on('data', () => {
      if (out.includes('source ')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`irsa up exited ${code}: ${err}`)));
  });
  return { child, out: () => out };
}

async function stop(running: Running): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => running.child.once('exit', resolve));
  running.child.kill('SIGTERM');
  return exited;
}

test('irsa up under umask 000: state directories 0700, env and keys 0600; the issuer presents a certificate for its own host name; the Try: verify line runs', async (t) => {
  const state = join(dir, 'umask');
  const running = await startUp(t, ['--state-dir', state, '--service-accounts', SAS], { umask000: true });
  const mode = (p: string): number => statSync(p).mode & 0o777;
  for (const d of ['', 'keys', 'tls']) assert.equal(mode(join(state, d)), 0o700, `${d || 'state dir'} mode`);
  for (const f of ['env', 'keys/sa-signer.key', 'tls/ca.key', 'tls/tls.key', 'tls/issuer.key']) assert.equal(mode(join(state, f)), 0o600, `${f} mode`);

  // what an OIDC client checks: the chain from the local CA and the issuer's host name
  const port = Number(/served at https:\/\/127\.0\.0\.1:(\d+)\//.exec(running.out())![1]);
  const ca = readFileSync(join(state, 'tls', 'ca.crt'));
  const peer = await new Promise<X509Certificate>((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername: 'oidc.irsa.local', ca }, () => {
      const cert = socket.getPeerX509Certificate()!;
      socket.end();
      resolve(cert);
    });
    socket.once('error', reject);
  });
  assert.equal(peer.checkHost('oidc.irsa.local'), 'oidc.irsa.local');

  const line = /^ {2}(curl --cacert .*)$/m.exec(running.out())?.[1];
  assert.ok(line, running.out());
  assert.match(line, /--resolve oidc\.irsa\.local:\d+:127\.0\.0\.1 https:\/\/oidc\.irsa\.local:\d+\/\.well-known\/openid-configuration/);
  if (spawnSync('curl', ['--version']).status === 0) {
    const curl = spawnSync('sh', ['-c', line], { cwd: REPO, encoding: 'utf8', timeout: 30_000 });
    assert.equal(curl.status, 0, curl.stderr);
    assert.equal(JSON.parse(curl.stdout).issuer, 'https://oidc.irsa.local');
  } else {
    t.diagnostic('curl not installed: the printed verify line was checked by its shape only');
  }
  assert.equal(await stop(running), 0);
});

test('irsa up with another --host re-issues the certificates from the same CA', async (t) => {
  const state = join(dir, 'rehost');
  const first = await startUp(t, ['--state-dir', state, '--service-accounts', SAS]);
  assert.equal(await stop(first), 0);
  const ca = readFileSync(join(state, 'tls', 'ca.crt'), 'utf8');
  assert.equal(new X509Certificate(readFileSync(join(state, 'tls', 'tls.crt'))).checkIP('127.0.0.2'), undefined);
  const second = await startUp(t, ['--state-dir', state, '--service-accounts', SAS, '--host', '127.0.0.2']);
  assert.match(second.out(), /webhook +https:\/\/127\.0\.0\.2:\d+\/mutate/);
  assert.equal(new X509Certificate(readFileSync(join(state, 'tls', 'tls.crt'))).checkIP('127.0.0.2'), '127.0.0.2');
  assert.equal(new X509Certificate(readFileSync(join(state, 'tls', 'issuer.crt'))).checkIP('127.0.0.2'), '127.0.0.2');
  assert.equal(readFileSync(join(state, 'tls', 'ca.crt'), 'utf8'), ca, 'the CA users trust is kept');
  assert.equal(await stop(second), 0);
});

test('irsa up: bad state directory, --host and sources are one line, exit 2, naming the right flag', () => {
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  const envDir = join(dir, 'env-is-dir');
  mkdirSync(join(envDir, 'env'), { recursive: true }); // the env file cannot be written over a directory
  const broken = join(dir, 'broken-sas');
  mkdirSync(broken);
  writeFileSync(join(broken, 'sa.yaml'), 'apiVersion: v1\nkind: ServiceAccount\nmetadata: [oops\n');
  const empty = join(dir, 'empty-sas');
  mkdirSync(empty);
  const cm = join(dir, 'cm.yaml');
  writeFileSync(cm, 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: my-config }\ndata: { config: "{}" }\n');
  const cmList = join(dir, 'cm-list.yaml');
  writeFileSync(cmList, 'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: { name: my-config }\n  data: { config: "{}" }\n');
  const cmBroken = join(dir, 'cm-broken.yaml');
  writeFileSync(cmBroken, 'apiVersion: v1\nkind: ConfigMap\n---\nmetadata: [oops\n');
  const unwritable = process.getuid?.() === 0 ? '/sys/irsa-test-state' : '/irsa-test-state';
  const cases: Array<[string[], RegExp]> = [
    [['--state-dir', file], /^irsa: --state-dir .*a-file: .*a-file is a file, not a directory; choose another --state-dir$/],
    [['--state-dir', unwritable], /^irsa: --state-dir \/.*irsa-test-state: cannot create .* \((EACCES|EPERM|EROFS)\); choose a writable --state-dir$/],
    [['--state-dir', envDir], /^irsa: --state-dir .*env-is-dir: cannot write .*env \(EISDIR\); choose a writable --state-dir$/],
    [['--host', '192.0.2.1'], /^irsa: --host 192\.0\.2\.1: not an address of this machine/],
    [['--host', 'no-such-host.invalid'], /^irsa: --host no-such-host\.invalid: does not resolve/],
    [['--service-accounts', broken], /^irsa: --service-accounts .*broken-sas\/sa\.yaml.*; fix it or pass another --service-accounts$/],
    [['--service-accounts', empty], /^irsa: --service-accounts .*empty-sas: no ServiceAccount manifest found/],
    [['--config-map', cm], /^irsa: --config-map .*cm\.yaml: holds ConfigMap "my-config", not pod-identity-webhook/],
    [['--config-map', cmList], /^irsa: --config-map .*cm-list\.yaml: holds ConfigMap "my-config", not pod-identity-webhook/],
    [['--config-map', cmBroken], /^irsa: --config-map .*cm-broken\.yaml, document 2: invalid YAML \(line \d+, column \d+\): .*; fix the file$/],
  ];
  for (const [args, message] of cases) {
    const state = args.includes('--state-dir') ? [] : ['--state-dir', join(dir, 'state-ok')];
    const sas = args.includes('--service-accounts') || args.includes('--config-map') ? [] : ['--service-accounts', SAS];
    const run = irsa(['up', ...PORTS, '--log-level', 'warn', ...state, ...sas, ...args], { timeout: 30_000 });
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.ok(oneLine(run.stderr), run.stderr);
    assert.match(run.stderr.trim(), message);
    assert.doesNotMatch(run.stdout, /is running/);
  }
});

test('irsa up outside the repository without --service-accounts refuses to start a webhook that mutates nothing', () => {
  const run = irsa(['up', ...PORTS, '--state-dir', join(dir, 'outside')], { cwd: dir, timeout: 30_000 });
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, /^irsa: no ServiceAccounts to serve: .*examples\/service-accounts does not exist .*pass --service-accounts FILE\|DIR\n$/);
});

test('Ctrl-C while irsa up is starting: exit 130, no "running" banner', async (t) => {
  // many ServiceAccount files: the store's first load keeps start-up busy after the certificates are issued
  const sas = join(dir, 'many-sas');
  mkdirSync(sas);
  for (let i = 0; i < 3000; i++) {
    writeFileSync(join(sas, `sa-${i}.yaml`), `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa-${i}\n  namespace: default\n  annotations:\n    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/r${i}\n`);
  }
  const child = spawn(process.execPath, [IRSA, 'up', ...PORTS, '--log-format', 'json', '--state-dir', join(dir, 'ctrl-c'), '--service-accounts', sas], { cwd: REPO, env: userEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let sent = false;
  child.stderr!.on('data', (c: Buffer) => {
    err += c.toString();
    if (!sent && err.includes('issued TLS certificates')) {
      sent = true;
      child.kill('SIGINT'); // once (a second one exits at once): start-up is under way, the banner not printed
    }
  });
  assert.equal(await exited, 130, err);
  assert.doesNotMatch(out, /is running/);
});

test('irsa webhook certs --out: a planted symlink is replaced, not followed; keys 0600 under umask 000; an unwritable --out is exit 2', () => {
  const out = join(dir, 'certs');
  mkdirSync(out);
  const victim = join(dir, 'victim');
  writeFileSync(victim, 'precious\n');
  symlinkSync(victim, join(out, 'ca.key'));
  const run = spawnSync('sh', ['-c', 'umask 000; exec "$@"', 'sh', process.execPath, IRSA, 'webhook', 'certs', '--out', out], { env: userEnv(), encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(readFileSync(victim, 'utf8'), 'precious\n', 'the symlink target was not written');
  assert.ok(!lstatSync(join(out, 'ca.key')).isSymbolicLink());
  for (const f of ['ca.key', 'tls.key']) assert.equal(statSync(join(out, f)).mode & 0o777, 0o600, f);
  const fresh = join(dir, 'certs-new');
  const made = spawnSync('sh', ['-c', 'umask 000; exec "$@"', 'sh', process.execPath, IRSA, 'webhook', 'certs', '--out', fresh], { env: userEnv(), encoding: 'utf8', timeout: 60_000 });
  assert.equal(made.status, 0, made.stderr);
  assert.equal(statSync(fresh).mode & 0o777, 0o700);

  const file = join(dir, 'not-a-dir');
  writeFileSync(file, '');
  const bad = irsa(['webhook', 'certs', '--out', file]);
  assert.equal(bad.code, 2, bad.stderr);
  assert.ok(oneLine(bad.stderr), bad.stderr);
  assert.match(bad.stderr, /^irsa: --out .*not-a-dir: is a file, not a directory; choose another --out/);
  assert.ok(existsSync(file));
});

test('a full disk on stdout (> /dev/full) is one line and exit 2', { skip: !existsSync('/dev/full') && 'no /dev/full' }, () => {
  const run = spawnSync('sh', ['-c', '"$@" > /dev/full', 'sh', process.execPath, IRSA, 'policy', '--help'], { env: userEnv(), encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 2, run.stderr);
  assert.equal(run.stderr, 'irsa: cannot write to standard output (ENOSPC); check where it is redirected\n');
});
