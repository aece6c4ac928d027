/**
 * `irsa up`: the chain on one machine. It keeps its state in a directory (default `./.irsa`): the issuer's
 * signing key, the TLS material, and an `env` file; then serves the issuer's discovery document and JWKS and runs
 * the pod identity webhook over the ServiceAccount manifests of a folder (default `examples/service-accounts`),
 * and the local AWS plane (IAM, STS, S3 on one port; see aws-plane.ts), until SIGINT/SIGTERM.
 * @module
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { ACCOUNT_ID_PATTERN } from '../lib/aws-arn.js';
import { UsageError } from '../lib/errors.js';
import { withFlags } from './field-flags.js';
import { createLogger, type Logger } from '../lib/log.js';
import {
  buildIssuerDocuments,
  createIssuerServer,
  createIssuerSite,
  DISCOVERY_PATH,
  ensureSigningKeyPair,
  S3_JWKS_PATH,
  validateIssuerUrl,
  type IssuerServer,
} from '../oidc/index.js';
import {
  createFileIdentityStore,
  defaultMutationSettings,
  type ManagedIdentityStore,
} from '../webhook/index.js';
import { startWebhookServer, type WebhookServer } from '../webhook/server.js';
import { awsEnvLines, awsSummaryLines, startAwsPlane, type RunningAwsPlane } from './aws-plane.js';
import type { RegisterCommand } from './commands.js';
import type { CliContext } from './context.js';
import { setExitCode } from './exit-code.js';
import { checkSources, ensureUpTls, prepareStateDir, validateHost, writeEnvFile } from './up-state.js';

/** Tokens carry this issuer unless `--issuer` says otherwise: a name IAM would accept (https, no port). */
export const DEFAULT_LOCAL_ISSUER = 'https://oidc.irsa.local';

export interface UpOptions {
  stateDir: string;
  host: string;
  issuer: string;
  issuerPort: number;
  webhookPort: number;
  metricsPort: number;
  serviceAccounts: string;
  configMap: string;
  awsDefaultRegion: string;
  /** The AWS plane's HTTP port (default 4566; 0 picks a free one). */
  awsPort?: number;
  /** The AWS plane's HTTPS port; none when undefined. */
  awsTlsPort?: number | undefined;
  /** The plane's account (default 000000000000). */
  accountId?: string;
  /** The plane's region (default us-east-1). */
  region?: string;
  logFormat?: 'json' | 'text';
  logLevel: string;
}

/** What `startUp` started; `stop()` shuts everything down (webhook drains in-flight requests first). */
export interface RunningUp {
  issuer: string;
  issuerUrl: string;
  webhookUrl: string;
  metricsUrl: string | undefined;
  signingKeyPath: string;
  caCertPath: string;
  envPath: string;
  /** The AWS plane: endpoint, provider ARN, admin key. */
  aws: RunningAwsPlane;
  stop(): Promise<void>;
}

function parsePort(flag: string, value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new UsageError(`${flag} ${JSON.stringify(value)}: use a TCP port from 0 to 65535 (0 picks a free one)`);
  return port;
}

function parseAccountId(value: string): string {
  if (!ACCOUNT_ID_PATTERN.test(value)) throw new UsageError(`--account-id ${JSON.stringify(value)}: use a 12-digit AWS account id, e.g. 000000000000`);
  return value;
}

function parseRegion(value: string): string {
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(value)) throw new UsageError(`--region ${JSON.stringify(value)}: use an AWS region name such as us-east-1`);
  return value;
}

function envFile(up: Omit<RunningUp, 'stop' | 'envPath' | 'aws'>, awsLines: readonly string[]): string {
  return [
    '# Written by `irsa up`: source it to point irsa commands at this local chain.',
    `export IRSA_ISSUER=${up.issuer}`,
    `export IRSA_ISSUER_URL=${up.issuerUrl}`,
    `export IRSA_SIGNING_KEY=${up.signingKeyPath}`,
    `export IRSA_WEBHOOK_URL=${up.webhookUrl}`,
    `export IRSA_WEBHOOK_CA=${up.caCertPath}`,
    ...awsLines,
    '',
  ].join('\n');
}

/**
 * Starts the issuer server and the webhook with state in `options.stateDir`; reuses keys and certificates found
 * there. Throws UsageError for unusable flags or busy ports.
 * @example
 * const up = await startUp({ ...defaults, stateDir: '.irsa' }, logger);
 * process.once('SIGINT', () => void up.stop());
 */
export async function startUp(options: UpOptions, logger: Logger): Promise<RunningUp> {
  const stateDir = resolve(options.stateDir);
  await validateHost(options.host);
  const issuerHost = withFlags({ issuer: '--issuer' }, () => validateIssuerUrl(options.issuer)).host;
  await prepareStateDir(stateDir);
  await checkSources(options.serviceAccounts, options.configMap, defaultMutationSettings().annotationPrefix);
  const signing = await ensureSigningKeyPair(join(stateDir, 'keys'));
  const documents = buildIssuerDocuments({ issuer: options.issuer, publicKeys: [signing.key.publicKey] });
  const { paths: tls, reissued } = await ensureUpTls(join(stateDir, 'tls'), options.host, issuerHost);
  if (reissued.length > 0) logger.info({ certificates: reissued, host: options.host, issuer: documents.issuer }, 'issued TLS certificates from the local CA');
  const [certPem, keyPem] = await Promise.all([readFile(tls.issuerCert), readFile(tls.issuerKey)]);

  const started: Array<() => Promise<unknown>> = [];
  // Stops what started, last first; a second call finds nothing left to stop.
  const stopAll = async (): Promise<void> => {
    for (let stop = started.pop(); stop !== undefined; stop = started.pop()) {
      await stop().catch((err: unknown) => logger.warn({ err }, 'stopping a component failed'));
    }
  };
  try {
    const issuerServer: IssuerServer = await createIssuerServer({
      site: createIssuerSite(documents.issuer, documents.files),
      host: options.host,
      port: options.issuerPort,
      tls: { cert: certPem, key: keyPem },
    });
    started.push(() => issuerServer.close());

    const store: ManagedIdentityStore = createFileIdentityStore({
      ...(options.serviceAccounts ? { serviceAccounts: options.serviceAccounts } : {}),
      ...(options.configMap ? { configMap: options.configMap } : {}),
      logger,
    });
    started.push(() => store.close());
    await store.ready();
    const settings = { ...defaultMutationSettings(), awsDefaultRegion: options.awsDefaultRegion };
    const webhook: WebhookServer = await startWebhookServer(
      {
        host: options.host,
        port: options.webhookPort,
        metricsPort: options.metricsPort,
        tlsCertFile: tls.cert,
        tlsKeyFile: tls.key,
        settings,
        lookupGracePeriodMs: 0,
      },
      { store, logger },
    );
    started.push(() => webhook.shutdown());

    const region = options.region ?? 'us-east-1';
    const aws = await startAwsPlane({
      stateDir,
      host: options.host,
      port: options.awsPort ?? 4566,
      tlsPort: options.awsTlsPort,
      accountId: options.accountId ?? '000000000000',
      region,
      issuer: documents.issuer,
      issuerUrl: issuerServer.url,
      tlsDir: join(stateDir, 'tls'),
      logger,
    });
    started.push(() => aws.stop());

    const up = {
      issuer: documents.issuer,
      issuerUrl: issuerServer.url,
      webhookUrl: `${webhook.url}/mutate`,
      metricsUrl: webhook.metricsUrl === undefined ? undefined : `${webhook.metricsUrl}/metrics`,
      signingKeyPath: signing.privateKeyPath,
      caCertPath: tls.ca,
    };
    const envPath = join(stateDir, 'env');
    await writeEnvFile(envPath, envFile(up, awsEnvLines(aws, region, stateDir)), options.stateDir);
    return { ...up, envPath, aws, stop: stopAll };
  } catch (err) {
    await stopAll();
    const e = err as NodeJS.ErrnoException;
    if ((e.code === 'EADDRINUSE' || e.code === 'EACCES') && (e.syscall === 'listen' || e.syscall === 'bind')) {
      throw new UsageError(`a port is ${e.code === 'EADDRINUSE' ? 'already in use' : 'not allowed'} (${e.message}); choose others with --issuer-port, --webhook-port, --metrics-port, --aws-port, --aws-tls-port (0 picks free ones)`, { cause: err });
    }
    throw err;
  }
}

/**
 * A curl that checks the issuer as any OIDC client would: TLS verified against the local CA for the issuer's own host
 * name, which `--resolve` points at the listening address (no hosts entry needed).
 */
export function verifyCommand(up: Pick<RunningUp, 'issuer' | 'issuerUrl'>, caPath: string): string {
  const served = new URL(up.issuerUrl);
  const issuer = new URL(up.issuer);
  const address = served.hostname.replace(/^\[|\]$/g, '');
  const shownAddress = address.includes(':') ? `[${address}]` : address;
  const target = address === '0.0.0.0' ? '127.0.0.1' : address === '::' ? '[::1]' : shownAddress;
  const path = `${issuer.pathname.replace(/\/+$/, '')}/${DISCOVERY_PATH}`;
  return `curl --cacert ${caPath} --resolve ${issuer.hostname}:${served.port}:${target} https://${issuer.hostname}:${served.port}${path}`;
}

function summary(up: RunningUp, options: UpOptions, cwd: string): string {
  const rel = (p: string): string => {
    const r = relative(cwd, p);
    return r === '' ? '.' : r.startsWith('..') ? p : r;
  };
  const sa = options.serviceAccounts ? rel(options.serviceAccounts) : '(none)';
  return [
    'irsa up: the local IRSA chain is running (Ctrl-C stops it)',
    '',
    `  issuer     ${up.issuer}  (tokens carry it as iss)`,
    `             served at ${up.issuerUrl}/${DISCOVERY_PATH} and ${up.issuerUrl}/${S3_JWKS_PATH}`,
    `  webhook    ${up.webhookUrl}  (AdmissionReview v1/v1beta1; CA ${rel(up.caCertPath)})`,
    `             ServiceAccounts from ${sa}, watched for changes`,
    `  metrics    ${up.metricsUrl ?? '(disabled)'}`,
    ...awsSummaryLines(up.aws),
    `  state      ${rel(resolve(options.stateDir))}  (signing key ${rel(up.signingKeyPath)})`,
    '',
    'Environment for irsa commands:',
    `  source ${rel(up.envPath)}`,
    '',
    'Try:',
    `  npx irsa inject -f examples/workloads/pod.yaml --service-accounts ${sa}`,
    `  npx irsa exec --pod examples/workloads/pod.yaml --service-accounts ${sa} --signing-key ${rel(up.signingKeyPath)} --issuer ${up.issuer} -- env`,
    `  ${verifyCommand(up, rel(up.caCertPath))}`,
    `  source ${rel(up.envPath)} && aws iam list-open-id-connect-providers`,
    '',
  ].join('\n');
}

/**
 * Resolves when SIGINT/SIGTERM arrives; a second one while stopping exits at once. Call the returned `release` once
 * stopped, so a late signal no longer turns a clean exit into exit 1.
 */
function waitForSignal(logger: Logger): { signalled: Promise<NodeJS.Signals>; release(): void } {
  let count = 0;
  let resolveSignal: (signal: NodeJS.Signals) => void = () => {};
  const signalled = new Promise<NodeJS.Signals>((resolve) => (resolveSignal = resolve));
  const handler = (signal: NodeJS.Signals): void => {
    count++;
    if (count > 1) process.exit(1);
    logger.info({ signal }, 'stopping');
    resolveSignal(signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signalled,
    release() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

/**
 * Stops an interrupted start-up once it settles; one still blocked after 5 s (a file that never finishes reading)
 * ends the process with `code`, since Ctrl-C must work whatever start-up is waiting for.
 */
async function interruptedStart(starting: Promise<RunningUp>, code: number): Promise<void> {
  const waited = new AbortController();
  const up = await Promise.race([
    starting.catch(() => null),
    sleep(5000, 'blocked' as const, { signal: waited.signal }).catch(() => null),
  ]);
  waited.abort();
  if (up === 'blocked') process.exit(code);
  await up?.stop();
}

export const registerUpCommand: RegisterCommand = (program: Command, ctx: CliContext) => {
  const defaultSas = join(ctx.cwd, 'examples', 'service-accounts');
  program
    .command('up')
    .description('run the local IRSA chain: issuer (discovery + JWKS), pod identity webhook and the AWS plane (IAM, STS, S3), state in ./.irsa')
    .option('--state-dir <dir>', 'where keys, certificates and the env file live', '.irsa')
    .option('--host <addr>', 'address every server listens on', '127.0.0.1')
    .option('--issuer <url>', 'issuer URL the tokens carry (https, no port, as IAM requires)', DEFAULT_LOCAL_ISSUER)
    .option('--issuer-port <port>', 'HTTPS port serving the discovery document and JWKS (0 = any free port)', '8441')
    .option('--webhook-port <port>', 'HTTPS port of the webhook (0 = any free port)', '8443')
    .option('--metrics-port <port>', 'HTTP port serving the webhook\'s Prometheus metrics at /metrics (0 = any free port)', '9999')
    .option('--service-accounts <path>', 'ServiceAccount manifests (file or folder) the webhook reads', existsSync(defaultSas) ? relative(ctx.cwd, defaultSas) : undefined)
    .option('--config-map <file>', 'a pod-identity-webhook ConfigMap manifest')
    .option('--aws-default-region <region>', 'region injected as AWS_REGION/AWS_DEFAULT_REGION (empty = none)', '')
    .option('--aws-port <port>', 'HTTP port of the AWS plane: IAM, STS and S3 (0 = any free port)', '4566')
    .option('--aws-tls-port <port>', 'also serve the AWS plane over HTTPS on this port, with a certificate for AWS\'s own names (off by default)')
    .option('--account-id <id>', 'the AWS account of the local plane (12 digits)', '000000000000')
    .option('--region <region>', 'the region the local plane reports and writes to AWS_DEFAULT_REGION', 'us-east-1')
    .option('--log-format <format>', 'json or text (default: text on a terminal)')
    .option('--log-level <level>', 'trace, debug, info, warn, error', 'info')
    .action(async (raw: Record<string, string | undefined>, cmd: Command) => {
      if (raw.logFormat !== undefined && raw.logFormat !== 'json' && raw.logFormat !== 'text') throw new UsageError(`--log-format ${JSON.stringify(raw.logFormat)}: use json or text`);
      if (!['trace', 'debug', 'info', 'warn', 'error'].includes(raw.logLevel ?? '')) throw new UsageError(`--log-level ${JSON.stringify(raw.logLevel)}: use trace, debug, info, warn or error`);
      const options: UpOptions = {
        stateDir: resolve(ctx.cwd, raw.stateDir ?? '.irsa'),
        host: raw.host ?? '127.0.0.1',
        issuer: raw.issuer ?? DEFAULT_LOCAL_ISSUER,
        issuerPort: parsePort('--issuer-port', raw.issuerPort ?? '8441'),
        webhookPort: parsePort('--webhook-port', raw.webhookPort ?? '8443'),
        metricsPort: parsePort('--metrics-port', raw.metricsPort ?? '9999'),
        serviceAccounts: raw.serviceAccounts ? resolve(ctx.cwd, raw.serviceAccounts) : '',
        configMap: raw.configMap ? resolve(ctx.cwd, raw.configMap) : '',
        awsDefaultRegion: raw.awsDefaultRegion ?? '',
        awsPort: parsePort('--aws-port', raw.awsPort ?? '4566'),
        awsTlsPort: raw.awsTlsPort === undefined ? undefined : parsePort('--aws-tls-port', raw.awsTlsPort),
        accountId: parseAccountId(raw.accountId ?? '000000000000'),
        region: parseRegion(raw.region ?? 'us-east-1'),
        logLevel: raw.logLevel ?? 'info',
        ...(raw.logFormat ? { logFormat: raw.logFormat as 'json' | 'text' } : {}),
      };
      if (!options.serviceAccounts && !options.configMap) {
        throw new UsageError(`no ServiceAccounts to serve: ${defaultSas} does not exist (run irsa up from the repository); pass --service-accounts FILE|DIR`);
      }
      for (const [flag, path] of [['--service-accounts', options.serviceAccounts], ['--config-map', options.configMap]] as const) {
        if (path && !existsSync(path)) throw new UsageError(`${flag} ${path}: no such file or folder`);
      }
      const logger = createLogger({ level: options.logLevel as 'info', name: 'irsa-up', ...(options.logFormat ? { format: options.logFormat } : {}) });
      // Handlers go in before anything is printed: a signal that lands between the two would kill the process.
      const signals = waitForSignal(logger);
      try {
        const starting = startUp(options, logger);
        const first = await Promise.race([starting.then((up) => ({ up })), signals.signalled.then((signal) => ({ signal }))]);
        if ('signal' in first) {
          // interrupted while starting: no banner, 128+n; whatever finishes starting is stopped
          const code = 128 + (osConstants.signals[first.signal] ?? 2);
          await interruptedStart(starting, code);
          setExitCode(cmd, code);
          return;
        }
        ctx.stdout.write(summary(first.up, options, ctx.cwd));
        await signals.signalled;
        await first.up.stop();
      } finally {
        signals.release();
      }
    });
};
