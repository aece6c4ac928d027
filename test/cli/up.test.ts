import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { startUp, type UpOptions } from '../../src/cli/up.js';
import { mintServiceAccountToken, readSigningKeyFile } from '../../src/oidc/index.js';

const repo = join(import.meta.dirname, '..', '..');
const silent = pino({ level: 'silent' });

function options(stateDir: string): UpOptions {
  return {
    stateDir,
    host: '127.0.0.1',
    issuer: 'https://oidc.irsa.local',
    issuerPort: 0,
    webhookPort: 0,
    metricsPort: 0,
    awsPort: 0,
    serviceAccounts: join(repo, 'examples', 'service-accounts'),
    configMap: '',
    awsDefaultRegion: 'eu-west-1',
    logLevel: 'silent',
  };
}

function httpsJson(url: string, ca: Buffer, body?: string): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, method: body ? 'POST' : 'GET', headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString()) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function review(namespace: string, serviceAccountName: string): string {
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'b4b9b5d2-1111-4c2b-9d2e-6a3f0c1d2e3f',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      namespace,
      operation: 'CREATE',
      object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'app', namespace }, spec: { serviceAccountName, containers: [{ name: 'app', image: 'amazon/aws-cli' }] } },
    },
  });
}

test('irsa up serves the issuer documents and a webhook that mutates pods of the example ServiceAccounts', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'irsa-up-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const up = await startUp(options(dir), silent);
  t.after(() => up.stop());
  const ca = await readFile(up.caCertPath);

  const discovery = await httpsJson(`${up.issuerUrl}/.well-known/openid-configuration`, ca);
  assert.equal(discovery.status, 200);
  assert.equal(discovery.json.issuer, 'https://oidc.irsa.local');
  assert.equal(discovery.json.jwks_uri, 'https://oidc.irsa.local/keys.json');
  const jwks = await httpsJson(`${up.issuerUrl}/keys.json`, ca);
  assert.equal(jwks.json.keys.length, 1);

  // A token minted with the state directory's key verifies against the JWKS the issuer serves.
  const key = await readSigningKeyFile(up.signingKeyPath);
  const minted = await mintServiceAccountToken({ signingKey: key, issuer: up.issuer, namespace: 'default', serviceAccountName: 's3-reader', audiences: ['sts.amazonaws.com'] });
  const verified = await jwtVerify(minted.token, createLocalJWKSet(jwks.json), { issuer: up.issuer, audience: 'sts.amazonaws.com' });
  assert.equal(verified.payload.sub, 'system:serviceaccount:default:s3-reader');

  const mutated = await httpsJson(up.webhookUrl, ca, review('default', 's3-reader'));
  assert.equal(mutated.status, 200);
  assert.equal(mutated.json.response.allowed, true);
  const patch = JSON.parse(Buffer.from(mutated.json.response.patch, 'base64').toString());
  const env = patch.find((op: any) => op.path === '/spec/containers').value[0].env;
  assert.deepEqual(env.find((e: any) => e.name === 'AWS_ROLE_ARN'), { name: 'AWS_ROLE_ARN', value: 'arn:aws:iam::111122223333:role/s3-reader' });
  assert.deepEqual(env.find((e: any) => e.name === 'AWS_REGION'), { name: 'AWS_REGION', value: 'eu-west-1' });

  const untouched = await httpsJson(up.webhookUrl, ca, review('shop', 'no-aws'));
  assert.equal(untouched.json.response.allowed, true);
  assert.equal(untouched.json.response.patch, undefined);

  const envFile = await readFile(up.envPath, 'utf8');
  assert.match(envFile, new RegExp(`export IRSA_SIGNING_KEY=${up.signingKeyPath}`));
  assert.match(envFile, /export IRSA_ISSUER=https:\/\/oidc\.irsa\.local/);
});

test('irsa up keeps its signing key and certificates across restarts', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'irsa-up-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const first = await startUp(options(dir), silent);
  const ca = await readFile(first.caCertPath);
  const kid1 = (await httpsJson(`${first.issuerUrl}/keys.json`, ca)).json.keys[0].kid;
  await first.stop();
  await first.stop(); // a second stop finds nothing left to stop
  const second = await startUp(options(dir), silent);
  t.after(() => second.stop());
  const kid2 = (await httpsJson(`${second.issuerUrl}/keys.json`, await readFile(second.caCertPath))).json.keys[0].kid;
  assert.equal(kid2, kid1);
  assert.deepEqual(await readFile(second.caCertPath), ca);
});

test('bin/irsa up prints its endpoints, and exits 0 on SIGTERM', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'irsa-up-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const child = spawn(process.execPath, [join(repo, 'bin', 'irsa'), 'up', '--state-dir', dir, '--issuer-port', '0', '--webhook-port', '0', '--metrics-port', '0', '--aws-port', '0', '--log-format', 'json'], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL')); // a no-op once it has exited
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`irsa up did not print its endpoints: ${out}`)), 30_000);
    child.stdout.on('data', () => {
      if (out.includes('source ')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => reject(new Error(`irsa up exited ${code} early: ${out}`)));
  });
  assert.match(out, /webhook +https:\/\/127\.0\.0\.1:\d+\/mutate/);
  assert.match(out, /served at https:\/\/127\.0\.0\.1:\d+\/\.well-known\/openid-configuration/);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
});

test('irsa up refuses a bad port with exit code 2', async (t) => {
  const child = spawn(process.execPath, [join(repo, 'bin', 'irsa'), 'up', '--webhook-port', 'eighty'], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 2);
  assert.match(err, /--webhook-port "eighty": use a TCP port/);
});

test('irsa up runs the AWS plane: the issuer is an OIDC provider, the env file holds a working admin key, a restart keeps both', async (t) => {
  const { IAMClient, ListOpenIDConnectProvidersCommand, GetOpenIDConnectProviderCommand, CreateRoleCommand, GetRoleCommand } = await import('@aws-sdk/client-iam');
  const dir = await mkdtemp(join(tmpdir(), 'irsa-up-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const first = await startUp({ ...options(dir), accountId: '111122223333', region: 'eu-west-1' }, silent);
  const env = Object.fromEntries([...(await readFile(first.envPath, 'utf8')).matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
  assert.equal(env.AWS_ENDPOINT_URL, first.aws.url);
  assert.equal(env.AWS_DEFAULT_REGION, 'eu-west-1');
  assert.equal(env.IRSA_STATE_DIR, dir);
  assert.match(env.AWS_ACCESS_KEY_ID!, /^AKIA[A-Z2-7]{16}$/);
  const client = () =>
    new IAMClient({ endpoint: env.AWS_ENDPOINT_URL, region: 'us-east-1', credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! } });
  let iam = client();
  const providers = await iam.send(new ListOpenIDConnectProvidersCommand({}));
  assert.deepEqual(providers.OpenIDConnectProviderList, [{ Arn: 'arn:aws:iam::111122223333:oidc-provider/oidc.irsa.local' }]);
  const provider = await iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: first.aws.providerArn }));
  assert.equal(provider.Url, 'oidc.irsa.local');
  assert.deepEqual(provider.ClientIDList, ['sts.amazonaws.com', 'openshift']);
  assert.equal(first.aws.conditionKeyPrefix, 'oidc.irsa.local');
  const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Federated: first.aws.providerArn }, Action: 'sts:AssumeRoleWithWebIdentity' }] });
  await iam.send(new CreateRoleCommand({ RoleName: 'kept', AssumeRolePolicyDocument: trust }));
  await first.stop();

  const second = await startUp({ ...options(dir), accountId: '111122223333', region: 'eu-west-1' }, silent);
  t.after(() => second.stop());
  const env2 = await readFile(second.envPath, 'utf8');
  assert.match(env2, new RegExp(`export AWS_ACCESS_KEY_ID=${env.AWS_ACCESS_KEY_ID}\\n`));
  env.AWS_ENDPOINT_URL = second.aws.url;
  iam = client();
  assert.equal((await iam.send(new GetRoleCommand({ RoleName: 'kept' }))).Role?.Arn, 'arn:aws:iam::111122223333:role/kept');
  assert.equal((await iam.send(new ListOpenIDConnectProvidersCommand({}))).OpenIDConnectProviderList?.length, 1);
});
