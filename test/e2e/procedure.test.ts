/**
 * The documented procedure (Red Hat OpenShift Service on AWS, "Assuming an AWS IAM role for a service account"),
 * step for step, against `bin/irsa up` spawned as a user runs it, with the clients the procedure uses, unmodified:
 * trust policy → `aws iam create-role` / `attach-role-policy` → ServiceAccount → pod through the webhook →
 * the procedure's Python lists the buckets. Then what fails, and that `irsa why` says why; then the operator path.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import jsonPatch, { type Operation } from 'fast-json-patch';
import { parse as parseYaml } from 'yaml';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mintServiceAccountToken, readSigningKeyFile } from '../../src/oidc/index.js';
import { bridgeUnixSocketToPort, irsa, namespaceArgs, repo, requireClient, run, startIrsaUp, stopAll, works, type RunResult, type UpInfo } from './harness.js';

/** The procedure's names. */
const PROJECT = 'my-project';
const SERVICE_ACCOUNT = 'test-service-account';
const ROLE = 'irsa-e2e-s3-readonly';
const BUCKETS = ['irsa-e2e-bucket-one', 'irsa-e2e-bucket-two', 'irsa-e2e-bucket-three'];

/** The procedure's Python, verbatim (it is typed into `python3` in the pod). */
const PROCEDURE_PYTHON = `import boto3
s3 = boto3.resource('s3')
for bucket in s3.buckets.all():
    print(bucket.name)
`;

/** The procedure's trust-policy.json with the provider ARN and condition key `irsa up` printed. */
function trustPolicyJson(providerArn: string, conditionKeyPrefix: string, project: string, serviceAccount: string): string {
  return `{
   "Version": "2012-10-17",
   "Statement": [
       {
           "Effect": "Allow",
           "Principal": {
               "Federated": "${providerArn}"
           },
           "Action": "sts:AssumeRoleWithWebIdentity",
           "Condition": {
               "StringEquals": {
                   "${conditionKeyPrefix}:sub": "system:serviceaccount:${project}:${serviceAccount}"
               }
           }
       }
   ]
}
`;
}

/** The procedure's ServiceAccount manifest. */
function serviceAccountYaml(name: string, roleArn: string): string {
  return `apiVersion: v1
kind: ServiceAccount
metadata:
  name: ${name}
  namespace: ${PROJECT}
  annotations:
    eks.amazonaws.com/role-arn: "${roleArn}"
`;
}

/** The procedure's pod manifest (restricted securityContext, as the procedure deploys it). */
function podYaml(serviceAccount: string): string {
  return `apiVersion: v1
kind: Pod
metadata:
  namespace: ${PROJECT}
  name: awsboto3sdk
spec:
  serviceAccountName: ${serviceAccount}
  containers:
  - name: awsboto3sdk
    image: quay.io/my-user/awsboto3sdk:latest
    command:
    - /bin/bash
    - "-c"
    - "sleep 100000"
    securityContext:
      allowPrivilegeEscalation: false
      capabilities:
        drop:
        - ALL
      runAsNonRoot: true
      seccompProfile:
        type: RuntimeDefault
  terminationGracePeriodSeconds: 0
  restartPolicy: Never
`;
}

/** POSTs an AdmissionReview as the API server does (HTTPS, trusting the caBundle). */
function admit(url: string, ca: Buffer, pod: unknown): Promise<{ status: number; review: any }> {
  const body = JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: randomUUID(),
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      requestKind: { group: '', version: 'v1', kind: 'Pod' },
      requestResource: { group: '', version: 'v1', resource: 'pods' },
      name: 'awsboto3sdk',
      namespace: PROJECT,
      operation: 'CREATE',
      userInfo: { username: 'developer', groups: ['system:authenticated:oauth', 'system:authenticated'] },
      object: pod,
      oldObject: null,
      dryRun: false,
      options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' },
    },
  });
  return new Promise((resolve, reject) => {
    const req = request(`${url}?timeout=10s`, { method: 'POST', ca, headers: { 'content-type': 'application/json', accept: 'application/json, */*' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, review: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The environment a user's shell has after `source .irsa/env`, without anything of this machine's AWS set-up. */
function sourcedEnv(up: UpInfo, dir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_')) env[k] = v;
  return {
    ...env,
    ...up.env,
    HOME: dir, // no ~/.aws of this machine
    AWS_CONFIG_FILE: join(dir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
  };
}

/** `sourcedEnv` without the admin key: what `irsa exec` hands a pod's container starts from nothing but the pod. */
function podEnv(up: UpInfo, dir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = sourcedEnv(up, dir);
  delete env.AWS_ACCESS_KEY_ID;
  delete env.AWS_SECRET_ACCESS_KEY;
  return { ...env, ...extra };
}

function ok(r: RunResult, what: string): string {
  assert.equal(r.code, 0, `${what} exited ${r.code}${r.signal ? ` (${r.signal})` : ''}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return r.stdout;
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

const DEBIAN_AWS = '/usr/bin/aws';
const DEBIAN_PYTHON = '/usr/bin/python3';

test('the ROSA procedure "Assuming an AWS IAM role for a service account", step for step, against irsa up', { timeout: 900_000 }, async (t) => {
  t.after(stopAll);
  const dir = await mkdtemp(join(tmpdir(), 'irsa-e2e-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const saDir = join(dir, 'service-accounts');
  await mkdir(saDir);
  // A project has its `default` ServiceAccount before anyone annotates one.
  await writeFile(join(saDir, 'default.yaml'), `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: default\n  namespace: ${PROJECT}\n`);

  if (!requireClient(t, works(DEBIAN_AWS, ['--version']), `Debian's aws CLI (${DEBIAN_AWS}) is not installed: apt-get install awscli`)) return;

  const up = await startIrsaUp(t, { stateDir: join(dir, 'state'), serviceAccounts: saDir, cwd: dir });
  const ca = await readFile(up.caPath);
  const admin = sourcedEnv(up, dir);
  // Debian's aws CLI 2.9 predates AWS_ENDPOINT_URL: the endpoint goes on the command line, as its users write it.
  const aws = (args: string[], env = admin): Promise<RunResult> => run(DEBIAN_AWS, ['--endpoint-url', up.awsUrl, ...args], { env, cwd: dir });

  let roleArn = '';
  await t.test('trust-policy.json, aws iam create-role and attach-role-policy ReadOnlyAccess (Debian aws CLI)', async () => {
    await writeFile(join(dir, 'trust-policy.json'), trustPolicyJson(up.providerArn, up.conditionKeyPrefix, PROJECT, SERVICE_ACCOUNT));
    const created = JSON.parse(ok(await aws(['iam', 'create-role', '--role-name', ROLE, '--assume-role-policy-document', 'file://trust-policy.json']), 'aws iam create-role'));
    assert.equal(created.Role.RoleName, ROLE);
    assert.deepEqual(created.Role.AssumeRolePolicyDocument, JSON.parse(await readFile(join(dir, 'trust-policy.json'), 'utf8')));
    ok(await aws(['iam', 'attach-role-policy', '--policy-arn', 'arn:aws:iam::aws:policy/ReadOnlyAccess', '--role-name', ROLE]), 'aws iam attach-role-policy');
    roleArn = ok(await aws(['iam', 'get-role', '--role-name', ROLE, '--query', 'Role.Arn', '--output', 'text']), 'aws iam get-role').trim();
    assert.match(roleArn, new RegExp(`^arn:aws:iam::\\d{12}:role/${ROLE}$`));
    const attached = JSON.parse(ok(await aws(['iam', 'list-attached-role-policies', '--role-name', ROLE]), 'aws iam list-attached-role-policies'));
    assert.deepEqual(attached.AttachedPolicies, [{ PolicyName: 'ReadOnlyAccess', PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }]);
  });
  assert.ok(roleArn, 'the role was not created; nothing else can run');

  await t.test('buckets created with the admin key from .irsa/env', async () => {
    const s3 = new S3Client({ endpoint: up.awsUrl, region: up.env.AWS_DEFAULT_REGION!, forcePathStyle: true, credentials: { accessKeyId: up.env.AWS_ACCESS_KEY_ID!, secretAccessKey: up.env.AWS_SECRET_ACCESS_KEY! } });
    t.after(() => s3.destroy());
    for (const Bucket of BUCKETS) await s3.send(new CreateBucketCommand({ Bucket }));
  });

  const mutatedPodPath = join(dir, 'awsboto3sdk.mutated.json');
  await t.test('the ServiceAccount, and the pod sent to the webhook as the API server sends it: what oc describe pod shows', async () => {
    await writeFile(join(saDir, `${SERVICE_ACCOUNT}.yaml`), serviceAccountYaml(SERVICE_ACCOUNT, roleArn));
    const pod = parseYaml(podYaml(SERVICE_ACCOUNT));
    // The webhook watches the folder; the API server would retry a pod created before its ServiceAccount.
    let review: any;
    for (const deadline = Date.now() + 60_000; ; ) {
      const answer = await admit(up.webhookUrl, ca, pod);
      assert.equal(answer.status, 200);
      review = answer.review;
      if (review.response.patch !== undefined || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(review.apiVersion, 'admission.k8s.io/v1');
    assert.equal(review.kind, 'AdmissionReview');
    assert.equal(review.response.allowed, true);
    assert.equal(review.response.patchType, 'JSONPatch', `no patch for the pod: ${JSON.stringify(review.response)}`);
    const patch = JSON.parse(Buffer.from(review.response.patch, 'base64').toString('utf8')) as Operation[];
    const mutated = jsonPatch.applyPatch(structuredClone(pod), patch, true, false).newDocument;
    const container = mutated.spec.containers[0];
    const env = Object.fromEntries(container.env.map((e: { name: string; value: string }) => [e.name, e.value]));
    // Environment: (oc describe pod)
    assert.equal(env.AWS_ROLE_ARN, roleArn);
    assert.equal(env.AWS_WEB_IDENTITY_TOKEN_FILE, '/var/run/secrets/eks.amazonaws.com/serviceaccount/token');
    // Mounts: /var/run/secrets/eks.amazonaws.com/serviceaccount from aws-iam-token (ro)
    assert.deepEqual(
      container.volumeMounts.filter((m: { name: string }) => m.name === 'aws-iam-token'),
      [{ name: 'aws-iam-token', readOnly: true, mountPath: '/var/run/secrets/eks.amazonaws.com/serviceaccount' }],
    );
    // Volumes: aws-iam-token, Projected, TokenExpirationSeconds 86400
    assert.deepEqual(
      mutated.spec.volumes.find((v: { name: string }) => v.name === 'aws-iam-token'),
      { name: 'aws-iam-token', projected: { sources: [{ serviceAccountToken: { audience: 'sts.amazonaws.com', expirationSeconds: 86400, path: 'token' } }] } },
    );
    // The restricted securityContext is the pod's own and stays as it was.
    assert.deepEqual(container.securityContext, pod.spec.containers[0].securityContext);
    await writeFile(mutatedPodPath, JSON.stringify(mutated, null, 2));
  });

  /** `irsa exec --pod <the mutated pod> -- COMMAND` with the pod's ServiceAccounts, as the container runs it. */
  const execInPod = (podPath: string, command: string[], env: NodeJS.ProcessEnv) =>
    irsa(['exec', '--pod', podPath, '--service-accounts', saDir, '--', ...command], { env, cwd: dir });

  await t.test("the procedure's Python with this machine's boto3 (python3 on PATH) through AWS_ENDPOINT_URL", async (t) => {
    if (!requireClient(t, works('python3', ['-c', 'import boto3']), 'python3 with boto3 is not on PATH')) return;
    const r = await execInPod(mutatedPodPath, ['python3', '-c', PROCEDURE_PYTHON], podEnv(up, dir));
    assert.deepEqual(lines(ok(r, 'python3 under irsa exec')).sort(), [...BUCKETS].sort());
  });

  await t.test("the procedure's Python with Debian's boto3 1.26 (no AWS_ENDPOINT_URL): AWS's names sent to the plane's HTTPS port on 443 by a private /etc/hosts", async (t) => {
    if (!requireClient(t, works(DEBIAN_PYTHON, ['-c', 'import boto3']), `Debian's boto3 for ${DEBIAN_PYTHON} is not installed: apt-get install python3-boto3`)) return;
    const ns = namespaceArgs();
    if (!requireClient(t, ns !== undefined, 'no private mount+network namespace here (unshare --mount --net, as root or in a user namespace)')) return;
    const r = await inNamespace(t, ns!, up, dir, ['exec', '--pod', mutatedPodPath, '--service-accounts', saDir, '--', DEBIAN_PYTHON, '-c', `import boto3, sys; print(boto3.__version__, file=sys.stderr)\n${PROCEDURE_PYTHON}`]);
    assert.deepEqual(lines(ok(r, 'Debian python3 in the namespace')).sort(), [...BUCKETS].sort());
    assert.match(r.stderr, /^1\.26\./m, "Debian's boto3 is 1.26");
  });

  await t.test('the AWS SDK for JavaScript v3, default credential chain', async () => {
    const r = await execInPod(mutatedPodPath, [process.execPath, join(repo, 'test', 'e2e', 'testdata', 'list-buckets.mjs')], podEnv(up, dir, { AWS_REGION: up.env.AWS_DEFAULT_REGION }));
    assert.deepEqual(lines(ok(r, 'the JavaScript SDK under irsa exec')).sort(), [...BUCKETS].sort());
  });

  await t.test('the aws CLI: aws s3api list-buckets and aws sts get-caller-identity show the assumed role', async (t) => {
    const onPath = works('aws', ['--version']);
    if (!requireClient(t, onPath, 'no aws CLI on PATH')) return;
    const listed = JSON.parse(ok(await execInPod(mutatedPodPath, ['aws', 's3api', 'list-buckets', '--output', 'json'], podEnv(up, dir)), 'aws s3api list-buckets'));
    assert.deepEqual(listed.Buckets.map((b: { Name: string }) => b.Name).sort(), [...BUCKETS].sort());
    const who = JSON.parse(ok(await execInPod(mutatedPodPath, ['aws', 'sts', 'get-caller-identity', '--output', 'json'], podEnv(up, dir)), 'aws sts get-caller-identity'));
    const account = roleArn.split(':')[4];
    assert.equal(who.Account, account);
    assert.match(who.Arn, new RegExp(`^arn:aws:sts::${account}:assumed-role/${ROLE}/[\\w+=,.@-]+$`));
    assert.match(who.UserId, /^AROA[A-Z0-9]+:[\w+=,.@-]+$/);
  });

  await t.test("Debian's aws CLI 2.9 (no AWS_ENDPOINT_URL) in the private namespace: list-buckets and get-caller-identity", async (t) => {
    const ns = namespaceArgs();
    if (!requireClient(t, ns !== undefined, 'no private mount+network namespace here (unshare --mount --net, as root or in a user namespace)')) return;
    const listed = JSON.parse(ok(await inNamespace(t, ns!, up, dir, ['exec', '--pod', mutatedPodPath, '--service-accounts', saDir, '--', DEBIAN_AWS, 's3api', 'list-buckets', '--output', 'json']), 'Debian aws s3api list-buckets'));
    assert.deepEqual(listed.Buckets.map((b: { Name: string }) => b.Name).sort(), [...BUCKETS].sort());
    const who = JSON.parse(ok(await inNamespace(t, ns!, up, dir, ['exec', '--pod', mutatedPodPath, '--service-accounts', saDir, '--', DEBIAN_AWS, 'sts', 'get-caller-identity', '--output', 'json']), 'Debian aws sts get-caller-identity'));
    assert.match(who.Arn, new RegExp(`:assumed-role/${ROLE}/`));
  });

  await t.test('another ServiceAccount of the project: AccessDenied, and irsa why names the sub condition with both values', async (t) => {
    if (!requireClient(t, works('python3', ['-c', 'import boto3']), 'python3 with boto3 is not on PATH')) return;
    const other = 'other-service-account';
    await writeFile(join(saDir, `${other}.yaml`), serviceAccountYaml(other, roleArn));
    const podPath = join(dir, 'other.yaml');
    await writeFile(podPath, podYaml(other));
    const r = await execInPod(podPath, ['python3', '-c', PROCEDURE_PYTHON], podEnv(up, dir));
    assert.notEqual(r.code, 0);
    assert.equal(r.stdout, '', 'no bucket is listed');
    assert.match(r.stderr, /An error occurred \(AccessDenied\) when calling the AssumeRoleWithWebIdentity operation: Not authorized to perform sts:AssumeRoleWithWebIdentity/);
    const why = ok(await irsa(['why', '--state-dir', up.stateDir], { env: sourcedEnv(up, dir), cwd: dir }), 'irsa why');
    assert.match(why, /sts:AssumeRoleWithWebIdentity/);
    assert.match(why, new RegExp(`${escape(up.conditionKeyPrefix)}:sub`));
    assert.match(why, new RegExp(`system:serviceaccount:${PROJECT}:${SERVICE_ACCOUNT}`), `the value the trust policy expects:\n${why}`);
    assert.match(why, new RegExp(`system:serviceaccount:${PROJECT}:${other}`), 'the value the token has');
  });

  await t.test('a role without ReadOnlyAccess lists nothing, and irsa why names s3:ListAllMyBuckets', async (t) => {
    if (!requireClient(t, works('python3', ['-c', 'import boto3']), 'python3 with boto3 is not on PATH')) return;
    const sa = 'no-read-service-account';
    const role = 'irsa-e2e-no-permissions';
    await writeFile(join(dir, 'trust-no-read.json'), trustPolicyJson(up.providerArn, up.conditionKeyPrefix, PROJECT, sa));
    const created = JSON.parse(ok(await aws(['iam', 'create-role', '--role-name', role, '--assume-role-policy-document', 'file://trust-no-read.json']), 'aws iam create-role'));
    await writeFile(join(saDir, `${sa}.yaml`), serviceAccountYaml(sa, created.Role.Arn));
    const podPath = join(dir, 'no-read.yaml');
    await writeFile(podPath, podYaml(sa));
    const r = await execInPod(podPath, ['python3', '-c', PROCEDURE_PYTHON], podEnv(up, dir));
    assert.notEqual(r.code, 0);
    assert.equal(r.stdout, '', 'no bucket is listed');
    assert.match(r.stderr, /An error occurred \(AccessDenied\) when calling the ListBuckets operation/);
    const why = ok(await irsa(['why', '--state-dir', up.stateDir], { env: sourcedEnv(up, dir), cwd: dir }), 'irsa why');
    assert.match(why, /s3:ListAllMyBuckets/);
    assert.match(why, new RegExp(`assumed-role/${role}/`));
  });

  await t.test("tokens STS refuses get AWS's errors: the wrong audience, and an expired token", async () => {
    const key = await readSigningKeyFile(up.env.IRSA_SIGNING_KEY!);
    const sts = new STSClient({ endpoint: up.awsUrl, region: up.env.AWS_DEFAULT_REGION!, credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' } });
    t.after(() => sts.destroy());
    const assume = async (token: string): Promise<{ name: string; message: string; status: number | undefined }> => {
      try {
        await sts.send(new AssumeRoleWithWebIdentityCommand({ RoleArn: roleArn, RoleSessionName: 'e2e', WebIdentityToken: token }));
      } catch (err) {
        const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
        return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
      }
      assert.fail('STS accepted the token');
    };
    const base = { signingKey: key, issuer: up.env.IRSA_ISSUER!, namespace: PROJECT, serviceAccountName: SERVICE_ACCOUNT };
    const wrongAudience = await mintServiceAccountToken({ ...base, audiences: ['https://kubernetes.default.svc'] });
    // the SDK names the wire code InvalidIdentityToken InvalidIdentityTokenException (its modeled shape)
    assert.deepEqual(await assume(wrongAudience.token), { name: 'InvalidIdentityTokenException', message: 'Incorrect token audience', status: 400 });
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    const expired = await mintServiceAccountToken({ ...base, audiences: ['sts.amazonaws.com'], expirationSeconds: 3600, now: () => twoHoursAgo });
    const answer = await assume(expired.token);
    assert.equal(answer.name, 'ExpiredTokenException');
    assert.equal(answer.status, 400);
    assert.match(answer.message, /^Token expired: current date\/time \d+ must be before the expiration date\/time\d+$/);
  });

  await t.test('the operator path: irsa credentials-secret → its INI → boto3 with AWS_CONFIG_FILE and the token at web_identity_token_file', async (t) => {
    if (!requireClient(t, works('python3', ['-c', 'import boto3']), 'python3 with boto3 is not on PATH')) return;
    const operatorNs = 'openshift-image-registry';
    const operatorSa = 'cluster-image-registry-operator';
    const role = 'irsa-e2e-operator';
    await writeFile(join(dir, 'trust-operator.json'), trustPolicyJson(up.providerArn, up.conditionKeyPrefix, operatorNs, operatorSa));
    const created = JSON.parse(ok(await aws(['iam', 'create-role', '--role-name', role, '--assume-role-policy-document', 'file://trust-operator.json']), 'aws iam create-role'));
    ok(await aws(['iam', 'attach-role-policy', '--policy-arn', 'arn:aws:iam::aws:policy/ReadOnlyAccess', '--role-name', role]), 'aws iam attach-role-policy');
    const tokenPath = join(dir, 'openshift', 'serviceaccount', 'token');
    const secret = parseYaml(ok(await irsa(['credentials-secret', '--name', 'installer-cloud-credentials', '--namespace', operatorNs, '--role-arn', created.Role.Arn, '--token-path', tokenPath], { env: sourcedEnv(up, dir), cwd: dir }), 'irsa credentials-secret'));
    assert.equal(secret.kind, 'Secret');
    const ini: string = secret.stringData.credentials;
    assert.match(ini, new RegExp(`^role_arn = ${escape(created.Role.Arn)}$`, 'm'));
    assert.match(ini, new RegExp(`^web_identity_token_file = ${escape(tokenPath)}$`, 'm'));
    const configPath = join(dir, 'operator-aws-config');
    await writeFile(configPath, `${ini}\n`);
    // The kubelet projects the operator's token with audience openshift.
    const minted = ok(await irsa(['token', '--namespace', operatorNs, '--service-account', operatorSa, '--audience', 'openshift'], { env: sourcedEnv(up, dir), cwd: dir }), 'irsa token').trim();
    await mkdir(join(dir, 'openshift', 'serviceaccount'), { recursive: true });
    await writeFile(tokenPath, minted);
    const env = podEnv(up, dir, { AWS_CONFIG_FILE: configPath });
    delete env.AWS_ROLE_ARN;
    delete env.AWS_WEB_IDENTITY_TOKEN_FILE;
    const r = await run('python3', ['-c', PROCEDURE_PYTHON], { env, cwd: dir });
    assert.deepEqual(lines(ok(r, 'boto3 with the operator INI')).sort(), [...BUCKETS].sort());
  });

  /** `irsa ARGS` inside a private mount+network namespace whose /etc/hosts sends AWS's names to the plane. */
  async function inNamespace(t: TestContext, ns: string[], upInfo: UpInfo, workDir: string, irsaArgs: string[]): Promise<RunResult> {
    const id = randomUUID().slice(0, 8);
    const socketPath = join(workDir, `aws-${id}.sock`);
    await bridgeUnixSocketToPort(t, socketPath, Number(new URL(upInfo.awsTlsUrl).port));
    const region = upInfo.env.AWS_DEFAULT_REGION!;
    const hostsPath = join(workDir, `hosts-${id}`);
    const names = [`sts.amazonaws.com`, `sts.${region}.amazonaws.com`, 's3.amazonaws.com', `s3.${region}.amazonaws.com`];
    await writeFile(hostsPath, `127.0.0.1 localhost\n::1 localhost\n127.0.0.1 ${names.join(' ')}\n`);
    const ready = join(workDir, `ready-${id}`);
    const script = [
      'set -e',
      'ip link set lo up',
      'mount --bind "$HOSTS" /etc/hosts',
      // the forwarder must not hold the test's pipes open, and ends with the command
      '"$NODE" "$FORWARD" "$SOCKET" "$READY" </dev/null >/dev/null 2>&1 &',
      'trap "kill $! 2>/dev/null" EXIT',
      'for i in $(seq 300); do [ -e "$READY" ] && break; sleep 0.1; done',
      '"$NODE" "$IRSA" "$@"',
    ].join('\n');
    const env = podEnv(upInfo, workDir, {
      AWS_CA_BUNDLE: upInfo.caPath,
      HOSTS: hostsPath,
      NODE: process.execPath,
      FORWARD: join(repo, 'test', 'e2e', 'testdata', 'loopback-forward.mjs'),
      SOCKET: socketPath,
      READY: ready,
      IRSA: join(repo, 'bin', 'irsa'),
      IRSA_FROM_SOURCE: '1',
    });
    delete env.AWS_ENDPOINT_URL; // these clients predate it; only the hosts file sends them here
    return run('unshare', [...ns, 'bash', '-c', script, 'inner', ...irsaArgs], { env, cwd: workDir });
  }
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
