import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
// Imported before main.js on purpose: `irsa up` imports this module directly, which must not hit an import cycle.
import { planWebhook, runWebhook } from '../../src/cli/webhook.js';
import { defaultWebhookFlags, parseWebhookFlags, WEBHOOK_FLAGS, type WebhookFlags } from '../../src/cli/webhook-flags.js';
import { main } from '../../src/cli/main.js';
import { exampleReview, makePki, memoryLogger, request1, ROLE_ARN, tempDir } from '../webhook/server-helpers.js';
import { captureContext } from './capture.js';
import { startFakeImds } from '../lib/fake-imds.js';
import { UsageError } from '../../src/lib/errors.js';


test('defaults are upstream\'s (grace period 2s is ours)', () => {
  const { flags, errors } = parseWebhookFlags([]);
  assert.deepEqual(errors, []);
  assert.equal(flags.port, 443);
  assert.equal(flags.metricsPort, 9999);
  assert.equal(flags.inCluster, true);
  assert.equal(flags.namespace, 'eks');
  assert.equal(flags.tlsCert, '/etc/webhook/certs/tls.crt');
  assert.equal(flags.tokenExpiration, 86400);
  assert.equal(flags.resyncPeriodMs, 60_000);
  assert.equal(flags.serviceAccountLookupGracePeriodMs, 2000);
  assert.equal(flags.logtostderr, true);
  assert.equal(flags.containerCredentialsFullUri, 'http://169.254.170.23/v1/credentials');
});

test('pflag syntax: --name=value, --name value, booleans, shorthand -v, ints with Go prefixes, durations', () => {
  const cases: Array<{ name: string; argv: string[]; want: Partial<WebhookFlags> }> = [
    { name: 'equals', argv: ['--port=8443'], want: { port: 8443 } },
    { name: 'separate value', argv: ['--port', '8443'], want: { port: 8443 } },
    { name: 'hex int', argv: ['--metrics-port=0x2710'], want: { metricsPort: 10000 } },
    { name: 'int underscores', argv: ['--token-expiration=3_600'], want: { tokenExpiration: 3600 } },
    { name: 'bool bare', argv: ['--sts-regional-endpoint'], want: { stsRegionalEndpoint: true } },
    { name: 'bool =false', argv: ['--in-cluster=false'], want: { inCluster: false } },
    { name: 'bool Go spellings', argv: ['--watch-config-map=T', '--enable-debugging-handlers=1', '--in-cluster=F'], want: { watchConfigMap: true, enableDebuggingHandlers: true, inCluster: false } },
    { name: 'last wins', argv: ['--port=1', '--port=2'], want: { port: 2 } },
    { name: 'string empty', argv: ['--aws-default-region='], want: { awsDefaultRegion: '' } },
    { name: 'value starting with dash', argv: ['--token-audience', '-x'], want: { tokenAudience: '-x' } },
    { name: 'duration ms', argv: ['--service-account-lookup-grace-period=100ms'], want: { serviceAccountLookupGracePeriodMs: 100 } },
    { name: 'duration zero', argv: ['--service-account-lookup-grace-period=0'], want: { serviceAccountLookupGracePeriodMs: 0 } },
    { name: 'duration compound', argv: ['--resync-period', '1m30s'], want: { resyncPeriodMs: 90_000 } },
    { name: 'duration fraction', argv: ['--resync-period=1.5h'], want: { resyncPeriodMs: 5_400_000 } },
    { name: '-v 4', argv: ['-v', '4'], want: { v: 4 } },
    { name: '-v=4', argv: ['-v=4'], want: { v: 4 } },
    { name: '-v4', argv: ['-v4'], want: { v: 4 } },
    { name: '--v=2', argv: ['--v=2'], want: { v: 2 } },
    { name: 'klog underscored names', argv: ['--log_dir=/tmp', '--log_file_max_size=10', '--skip_headers', '--add_dir_header=false'], want: { logDir: '/tmp', logFileMaxSize: 10, skipHeaders: true, addDirHeader: false } },
    { name: 'klog logtostderr=false', argv: ['--logtostderr=false', '--alsologtostderr'], want: { logtostderr: false, alsologtostderr: true } },
    { name: 'klog stderrthreshold name', argv: ['--stderrthreshold=warning'], want: { stderrthreshold: '1' } },
    { name: 'klog vmodule', argv: ['--vmodule=handler=4,cache=2'], want: { vmodule: 'handler=4,cache=2' } },
    { name: 'klog backtrace', argv: ['--log_backtrace_at=handler.go:120'], want: { logBacktraceAt: 'handler.go:120' } },
    { name: 'additions', argv: ['--service-accounts', 'sa/', '--config-map=cm.yaml', '--log-format=text'], want: { serviceAccounts: 'sa/', configMap: 'cm.yaml', logFormat: 'text' } },
    { name: 'help', argv: ['-h'], want: { help: true } },
  ];
  for (const c of cases) {
    const { flags, errors } = parseWebhookFlags(c.argv);
    assert.deepEqual(errors, [], c.name);
    for (const [k, v] of Object.entries(c.want)) assert.deepEqual(flags[k as keyof WebhookFlags], v, `${c.name}: ${k}`);
  }
});

test('bad arguments: one clear error each, pflag wording', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--nope'], /^unknown flag: --nope$/],
    [['--log-dir=/tmp'], /unknown flag: --log-dir \(did you mean --log_dir\?\)/],
    [['-port=443'], /unknown shorthand flag: 'p' in -port=443 \(long flags take two dashes: --port=443\)/],
    [['--port'], /flag needs an argument: --port/],
    [['-v'], /flag needs an argument: 'v' in -v/],
    [['--port=abc'], /invalid argument "abc" for "--port" flag: strconv.ParseInt: parsing "abc": invalid syntax/],
    [['--in-cluster=no'], /invalid argument "no" for "--in-cluster" flag: strconv.ParseBool/],
    [['--in-cluster', 'false'], /unexpected argument "false".*--flag=false/],
    [['--resync-period=10'], /invalid argument "10" for "--resync-period" flag: time: missing unit in duration "10"/],
    [['--resync-period=5d'], /time: unknown unit "d"/],
    [['-v=high'], /invalid argument "high" for "-v" flag/],
    [['--stderrthreshold=LOUD'], /unknown severity/],
    [['--vmodule=handler'], /expect comma-separated list/],
    [['--log_backtrace_at=handler:12'], /expect file.go:234/],
    [['--log_backtrace_at=:0'], /expect file.go:234/],
    [['--', 'extra'], /unexpected argument "extra"/],
  ];
  for (const [argv, message] of cases) {
    const { errors } = parseWebhookFlags(argv);
    assert.equal(errors.length, 1, `${argv.join(' ')}: ${errors.join(' | ')}`);
    assert.match(errors[0]!, message, argv.join(' '));
  }
});

test('every upstream flag name is accepted', () => {
  const upstream = [
    'port', 'metrics-port', 'kubeconfig', 'kube-api', 'tls-key', 'tls-cert', 'tls-cipher-suites', 'tls-min-version', 'in-cluster',
    'service-name', 'namespace', 'tls-secret', 'annotation-prefix', 'token-audience', 'token-mount-path', 'token-expiration',
    'aws-default-region', 'sts-regional-endpoint', 'watch-config-map', 'compose-role-arn', 'watch-container-credentials-config',
    'container-credentials-audience', 'container-credentials-token-mount-path', 'container-credentials-token-volume-name',
    'container-credentials-token-path', 'container-credentials-full-uri', 'version', 'enable-debugging-handlers',
    'service-account-lookup-grace-period', 'resync-period', 'v', 'vmodule', 'logtostderr', 'alsologtostderr', 'log_dir', 'log_file',
    'log_file_max_size', 'add_dir_header', 'skip_headers', 'skip_log_headers', 'one_output', 'stderrthreshold', 'log_backtrace_at',
    'legacy_stderr_threshold_behavior',
  ];
  const names = new Set(WEBHOOK_FLAGS.map((f) => f.name));
  for (const name of upstream) assert.ok(names.has(name), name);
});

test('the args of deploy/base/deployment.yaml parse and plan without errors', () => {
  const deployment = parseYaml(readFileSync(new URL('../../deploy/base/deployment.yaml', import.meta.url), 'utf8')) as { spec: { template: { spec: { containers: Array<{ args: string[] }> } } } };
  const { flags, errors } = parseWebhookFlags(deployment.spec.template.spec.containers[0]!.args);
  assert.deepEqual(errors, []);
  const plan = planWebhook(flags, '/');
  assert.equal(plan.server.port, 8443);
  assert.equal(plan.source.kind, 'kubernetes');
});

test('planWebhook: in-cluster refused with the fix; TLS flags checked; settings mapped', () => {
  assert.throws(() => planWebhook(defaultWebhookFlags(), '/'), (err: Error & { exitCode?: number }) => err.exitCode === 2 && /--in-cluster=false/.test(err.message) && /cert-manager/.test(err.message));
  const base = { ...defaultWebhookFlags(), inCluster: false };
  assert.throws(() => planWebhook({ ...base, tlsCipherSuites: 'TLS_BOGUS' }, '/'), /unknown cipher suite "TLS_BOGUS"/);
  assert.throws(() => planWebhook({ ...base, tlsMinVersion: '1.4' }, '/'), /--tls-min-version/);
  assert.throws(() => planWebhook({ ...base, port: 70000 }, '/'), /--port 70000/);
  assert.throws(() => planWebhook({ ...base, configMap: 'cm.yaml' }, '/'), /offline mode/);
  const plan = planWebhook({ ...base, tokenExpiration: 100, awsDefaultRegion: 'eu-west-1', serviceAccounts: 'sa', v: 4, tlsCert: 'c.pem' }, '/work');
  assert.equal(plan.settings.tokenExpiration, 600);
  assert.equal(plan.settings.awsDefaultRegion, 'eu-west-1');
  assert.deepEqual(plan.source, { kind: 'files', serviceAccounts: '/work/sa', configMap: '' });
  assert.equal(plan.server.tlsCertFile, '/work/c.pem');
  assert.equal(plan.logLevel, 'debug');
  assert.equal(planWebhook(base, '/').source.kind, 'kubernetes');
});

test('irsa webhook: --help lists flags with defaults; bad flags exit 2 with the message', async () => {
  const help = captureContext();
  assert.equal(await main(['webhook', '--help'], help.ctx), 0);
  assert.match(help.out(), /--service-account-lookup-grace-period duration\n.*\(default 2s\).*upstream's default is 0/);
  assert.match(help.out(), /-v, --v Level/);
  const bad = captureContext();
  assert.equal(await main(['webhook', '--in-cluster=false', '--bogus'], bad.ctx), 2);
  assert.match(bad.err(), /unknown flag: --bogus/);
  const refused = captureContext();
  assert.equal(await main(['webhook', '--in-cluster=true', '--service-accounts=/tmp'], refused.ctx), 2);
  assert.match(refused.err(), /--in-cluster=false/);
  const noCert = captureContext();
  assert.equal(await main(['webhook', '--in-cluster=false', '--tls-cert=/nonexistent/tls.crt', '--service-accounts=/tmp'], noCert.ctx), 2);
  assert.match(noCert.err(), /--tls-cert: cannot read the serving certificate: .*\/nonexistent\/tls\.crt.*check the path/);
  // Without --in-cluster the certificate files are used (upstream's CSR default is not assumed).
  const implicit = captureContext();
  assert.equal(await main(['webhook', '--tls-cert=/nonexistent/tls.crt', '--service-accounts=/tmp'], implicit.ctx), 2);
  assert.match(implicit.err(), /--tls-cert: cannot read the serving certificate/);
});

/** Runs `irsa webhook` in-process with offline ServiceAccounts; returns the first /mutate answer that has a patch. */
async function runOffline(roleArn: string, extraFlags: string[], env: Record<string, string> = {}): Promise<string> {
  const tmp = tempDir();
  const cleanups: Array<() => Promise<void>> = [];
  try {
    const pki = makePki(tmp.dir);
    writeFileSync(join(tmp.dir, 'tls.crt'), pki.cert);
    writeFileSync(join(tmp.dir, 'tls.key'), pki.key);
    writeFileSync(join(tmp.dir, 'sa.yaml'), `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: default\n  namespace: default\n  annotations:\n    eks.amazonaws.com/role-arn: ${roleArn}\n`);
    // In-process: one process (workers would be forked bin/irsa processes; the spawned tests cover them).
    const { flags, errors } = parseWebhookFlags(['--in-cluster=false', '--workers=1', '--port=0', '--metrics-port=0', '--tls-cert', 'tls.crt', '--tls-key=tls.key', '--service-accounts', 'sa.yaml', ...extraFlags]);
    assert.deepEqual(errors, []);
    const handlers = new Map<string, () => void>();
    const log = memoryLogger();
    const exits: number[] = [];
    const running = runWebhook(flags, { ...captureContext().ctx, cwd: tmp.dir, env }, { onSignal: (s, h) => handlers.set(s, h), exit: (c) => exits.push(c), logger: log.logger });
    let stopped = false;
    // Whatever an assertion below does, the server this test started is stopped before the temp dir goes.
    cleanups.push(async () => {
      if (!stopped) handlers.get('SIGTERM')?.();
      await running.catch(() => undefined);
    });
    let port: number | undefined;
    for (let i = 0; i < 200 && port === undefined; i++) {
      port = log.lines().find((l) => l.msg === 'webhook listening')?.port as number | undefined;
      if (port === undefined) await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(port, 'server did not start');
    const url = `https://127.0.0.1:${port}`;
    let body = '';
    for (let i = 0; i < 100; i++) {
      const res = await request1(url, { path: '/mutate', body: JSON.stringify(exampleReview({ apiVersion: 'admission.k8s.io/v1' })), headers: { 'content-type': 'application/json' }, ca: pki.caCert });
      body = res.body;
      if (body.includes('patch')) break;
      await new Promise((r) => setTimeout(r, 20)); // the file store loads asynchronously
    }
    assert.match(body, /"patchType":"JSONPatch"/);
    stopped = true;
    handlers.get('SIGTERM')!();
    assert.equal(await running, 0);
    assert.deepEqual(exits, []);
    return body;
  } finally {
    for (let c = cleanups.pop(); c !== undefined; c = cleanups.pop()) await c();
    tmp.cleanup();
  }
}

function patchText(body: string): string {
  return Buffer.from((JSON.parse(body) as { response: { patch: string } }).response.patch, 'base64').toString();
}

test('runWebhook: offline ServiceAccounts, mutates over TLS, first signal drains and resolves 0', async () => {
  const body = await runOffline(ROLE_ARN, ['--aws-default-region=us-east-1']);
  assert.match(patchText(body), /"AWS_REGION","value":"us-east-1"/);
});

test('--compose-role-arn: account and partition from IMDSv2 compose ARNs from bare role names', async () => {
  const imds = await startFakeImds({ accountId: '444455556666', region: 'cn-north-1' });
  try {
    const body = await runOffline('s3-reader', ['--compose-role-arn'], { AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url });
    assert.match(patchText(body), /"AWS_ROLE_ARN","value":"arn:aws-cn:iam::444455556666:role\/s3-reader"/);
  } finally {
    await imds.close();
  }
});

test('--compose-role-arn without IMDS: a usage error naming the flag and the way out', async () => {
  const imds = await startFakeImds({ accountId: '444455556666', region: 'us-east-1' }, { refuse: true });
  try {
    const { flags, errors } = parseWebhookFlags(['--in-cluster=false', '--compose-role-arn']);
    assert.deepEqual(errors, []);
    await assert.rejects(
      runWebhook(flags, { ...captureContext().ctx, env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url } }),
      (err: unknown) => err instanceof UsageError && /^--compose-role-arn: cannot read the instance identity from EC2 instance metadata at http:\/\/127\.0\.0\.1:\d+ \(.*\); run on EC2 with IMDS reachable, or write full role ARNs and drop the flag$/.test(err.message),
    );
  } finally {
    await imds.close();
  }
});

test('no cluster connection: the error names the webhook\'s flags (the kube library names fields only)', async (t) => {
  if (process.env.KUBERNETES_SERVICE_HOST) {
    t.skip('running inside a cluster: KUBERNETES_SERVICE_HOST is set');
    return;
  }
  const tmp = tempDir();
  try {
    const pki = makePki(tmp.dir);
    writeFileSync(join(tmp.dir, 'tls.crt'), pki.cert);
    writeFileSync(join(tmp.dir, 'tls.key'), pki.key);
    // a kubeconfig with no current context
    writeFileSync(join(tmp.dir, 'kubeconfig'), 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');
    const base = ['--in-cluster=false', '--port=0', '--metrics-port=0', '--tls-cert', 'tls.crt', '--tls-key=tls.key'];
    const cases: Array<[string[], RegExp]> = [
      [[], /^not running in a cluster \(KUBERNETES_SERVICE_HOST is unset\) and neither a kubeconfig nor the API server URL given: pass --kubeconfig FILE or --kube-api URL, or use --service-accounts FILE\|DIR offline$/],
      [['--kubeconfig', join(tmp.dir, 'kubeconfig'), '--kube-api', 'http://127.0.0.1:1'], /^--kubeconfig .*kubeconfig has no current cluster to point at http:\/\/127\.0\.0\.1:1; set current-context$/],
    ];
    for (const [extra, message] of cases) {
      const { flags, errors } = parseWebhookFlags([...base, ...extra]);
      assert.deepEqual(errors, []);
      await assert.rejects(runWebhook(flags, { ...captureContext().ctx, cwd: tmp.dir, env: {} }), (err: unknown) => err instanceof Error && message.test(err.message) && (err as { code?: string }).code === 'ERR_KUBE_CONFIG', extra.join(' '));
    }
  } finally {
    tmp.cleanup();
  }
});
