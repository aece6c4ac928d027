import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { before, test } from 'node:test';
import { tempDir } from '../oidc/helpers.js';
import { IRSA, irsa, oneLine, userEnv } from './irsa-process.js';

const dir = tempDir();
const ISSUER = 'https://oidc.example.com';
const ROLE = 'arn:aws:iam::111122223333:role/web';

before(() => {
  const keys = irsa(['keys', 'create', '--out', join(dir, 'k')]);
  assert.equal(keys.code, 0, keys.stderr);
});

function pod(volumeName: string, tokenPath: string): string {
  return `apiVersion: v1
kind: Pod
metadata: { name: evil, namespace: default }
spec:
  serviceAccountName: app
  containers:
    - name: app
      env: [{ name: AWS_ROLE_ARN, value: ${ROLE} }, { name: AWS_WEB_IDENTITY_TOKEN_FILE, value: /var/run/secrets/eks.amazonaws.com/serviceaccount/token }]
      volumeMounts: [{ name: ${JSON.stringify(volumeName)}, mountPath: /var/run/secrets/eks.amazonaws.com/serviceaccount }]
  volumes:
    - name: ${JSON.stringify(volumeName)}
      projected:
        sources: [{ serviceAccountToken: { audience: sts.amazonaws.com, expirationSeconds: 86400, path: ${JSON.stringify(tokenPath)} } }]
`;
}

test('irsa exec: a manifest whose token volume name or path leaves the token directory is refused (exit 2, field named), the target untouched', () => {
  const victim = join(dir, 'victim.txt');
  const cases: Array<[string, string, RegExp]> = [
    ['aws-iam-token', `../../../../../../..${victim}`, /spec\.volumes\[0\]\.projected\.sources\[0\]\.serviceAccountToken\.path ".*" must not contain '\.\.'/],
    ['aws-iam-token', victim, /serviceAccountToken\.path ".*" must be a relative path/],
    [`../../../../../../..${dir}`, 'victim.txt', /spec\.volumes\[0\]\.name ".*" is not a DNS-1123 label/],
  ];
  for (const [i, [volume, path, message]] of cases.entries()) {
    writeFileSync(victim, 'precious\n');
    const file = join(dir, `evil-${i}.yaml`);
    writeFileSync(file, pod(volume, path));
    const run = irsa(['exec', '--pod', file, '--signing-key', join(dir, 'k', 'sa-signer.key'), '--issuer', ISSUER, '--', 'true']);
    assert.equal(run.code, 2, run.stderr);
    assert.ok(oneLine(run.stderr), run.stderr);
    assert.match(run.stderr, message);
    assert.match(run.stderr, /fix the manifest/);
    assert.equal(readFileText(victim), 'precious\n', 'the target file was not overwritten');
  }
});

function readFileText(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

test('irsa exec killed with SIGKILL leaves its directory and command behind; the next irsa exec removes the directory and stops the command', async (t) => {
  const tmp = join(dir, 'tmp');
  mkdirSync(tmp);
  const env = userEnv({ TMPDIR: tmp });
  const first = spawn(process.execPath, [IRSA, 'exec', '--service-account', 'app', '--role-arn', ROLE, '--signing-key', join(dir, 'k', 'sa-signer.key'), '--issuer', ISSUER, '--', process.execPath, '-e', 'console.log(process.pid, process.env.AWS_WEB_IDENTITY_TOKEN_FILE); setInterval(() => {}, 1000)'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let commandPid = 0;
  t.after(() => {
    first.kill('SIGKILL');
    try {
      if (commandPid) process.kill(commandPid, 'SIGKILL');
    } catch {
      // already gone
    }
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: first.stdout! }).once('line', resolve);
    first.once('exit', (code) => reject(new Error(`irsa exec exited ${code} early`)));
  });
  const [pid, tokenFile] = line.split(' ');
  commandPid = Number(pid);
  assert.ok(tokenFile!.startsWith(`${tmp}/irsa-exec-`), tokenFile);
  const exited = new Promise((resolve) => first.once('exit', resolve));
  first.kill('SIGKILL'); // what the OOM killer or kill -9 does: no handler runs
  await exited;
  assert.ok(existsSync(tokenFile!), 'the token directory stays behind after SIGKILL');
  assert.doesNotThrow(() => process.kill(commandPid, 0), 'the command stays behind after SIGKILL');

  const second = irsa(['exec', '--service-account', 'app', '--role-arn', ROLE, '--signing-key', join(dir, 'k', 'sa-signer.key'), '--issuer', ISSUER, '--', 'true'], { env });
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stderr, /irsa: exec: removed .*irsa-exec-\S+ left by irsa exec \(pid \d+\) that ended without cleaning up; stopped its command/);
  assert.deepEqual(readdirSync(tmp).filter((n) => n.startsWith('irsa-exec-')), [], 'no irsa-exec-* directory left');
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(commandPid, 0);
    } catch {
      commandPid = 0;
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(commandPid, 0, 'the orphaned command was stopped');
});

