/**
 * `irsa webhook [flags]`: the pod identity webhook server with the EKS webhook's flags (same names, pflag syntax,
 * Go durations, defaults, klog flags), ServiceAccounts from the Kubernetes API or, offline, from manifest files;
 * `irsa webhook certs`: a CA and serving certificate for clusters without cert-manager.
 * @module
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { InstanceMetadataError, IrsaError, UsageError } from '../lib/errors.js';
import { fetchInstanceIdentity } from '../lib/instance-identity.js';
import { createLogger, type Logger, type LogFormat } from '../lib/log.js';
import { ENV_EC2_METADATA_SERVICE_ENDPOINT } from '../lib/wire-names.js';
import type { MutationSettings } from '../webhook/constants.js';
import { createFileIdentityStore } from '../webhook/file-identity-store.js';
import type { IdentityChange, IdentitySourceKind, ManagedIdentityStore } from '../webhook/identity-store.js';
import { createKubernetesIdentityStore } from '../webhook/kubernetes-identity-store.js';
import { createWebhookMetrics } from '../webhook/metrics.js';
import { SERVER_LIMIT_DEFAULTS, startWebhookServer, type WebhookServer, type WebhookServerConfig } from '../webhook/server.js';
import { TlsConfigError } from '../webhook/errors.js';
import { KubeApiError } from '../kube/errors.js';
import { availableParallelism } from 'node:os';
import type { AddressInfo } from 'node:net';
import { cpuLimitFromCgroup, processesForCpuLimit, readCgroupCpuFiles } from '../lib/cgroup-cpu.js';
import { createMetricsPortServer } from '../webhook/metrics-server.js';
import { startWorkerPool } from '../webhook/workers.js';
import { WORKER_PLAN_ENV } from './webhook-worker.js';
import { CertificateReloader, loadCertificatePair, parseTlsCipherSuites, parseTlsMinVersion, tlsSettingsFromFlags, type CertificatePair } from '../webhook/tls.js';
import type { RegisterCommand } from './commands.js';
import { flagError } from './field-flags.js';
import type { CliContext } from './context.js';
import { mutationSettingsOf } from './mutation-flag-table.js';
import { registerWebhookCertsCommand } from './webhook-certs.js';
import { logLevelForVerbosity, parseWebhookFlags, webhookHelp, type WebhookFlags } from './webhook-flags.js';

/** The webhook's TLS flags, by the field the TLS settings name. */
const TLS_FIELD_FLAGS = { tlsMinVersion: '--tls-min-version', tlsCipherSuites: '--tls-cipher-suites', tlsCertFile: '--tls-cert', tlsKeyFile: '--tls-key' } as const;

/** No cluster connection: the fix in the webhook's flags (the exit code stays the connection error's). */
function kubeConfigError(err: unknown): unknown {
  if (!(err instanceof KubeApiError) || err.code !== 'ERR_KUBE_CONFIG') return err;
  if (err.field !== undefined) return flagError(err, { kubeconfig: '--kubeconfig', kubeApi: '--kube-api' });
  return new IrsaError(err.code, `${err.message}: pass --kubeconfig FILE or --kube-api URL, or use --service-accounts FILE|DIR offline`, { cause: err, exitCode: err.exitCode });
}

/** A bad TLS flag or certificate is a usage error, naming the flag when the TLS settings name its field. */
function tlsUsageError(err: TlsConfigError): UsageError {
  const mapped = flagError(err, TLS_FIELD_FLAGS);
  return mapped instanceof UsageError ? mapped : new UsageError(err.message, { cause: err });
}

/** Everything `irsa webhook` starts, derived from the flags. */
export interface WebhookPlan {
  server: WebhookServerConfig;
  settings: MutationSettings;
  /** Offline (files) or the Kubernetes API. */
  source: { kind: 'files'; serviceAccounts: string; configMap: string } | { kind: 'kubernetes'; kubeconfig: string; kubeApi: string };
  logLevel: 'info' | 'debug' | 'trace';
  logFormat: LogFormat | undefined;
}

/**
 * Checks the parsed flags and turns them into what to start; throws UsageError (exit 2) naming the flag and
 * the fix. `cwd` resolves relative paths.
 * @example
 * const plan = planWebhook(parseWebhookFlags(argv).flags, process.cwd());
 */
export function planWebhook(flags: WebhookFlags, cwd: string): WebhookPlan {
  if (flags.inCluster) {
    throw new UsageError(
      '--in-cluster=true (upstream\'s default) gets the serving certificate from the Kubernetes CSR API, which no longer signs it (signer kubernetes.io/legacy-unknown); ' +
        'run with --in-cluster=false and mount a certificate at --tls-cert/--tls-key (a cert-manager Certificate, see deploy/, or `irsa webhook certs`)',
    );
  }
  try {
    parseTlsMinVersion(flags.tlsMinVersion);
    parseTlsCipherSuites(flags.tlsCipherSuites);
  } catch (err) {
    if (err instanceof TlsConfigError) throw tlsUsageError(err);
    throw err;
  }
  for (const [name, port] of [['--port', flags.port], ['--metrics-port', flags.metricsPort]] as const) {
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`${name} ${port}: use a TCP port from 0 to 65535 (0 picks a free one)`);
  }
  if (!Number.isInteger(flags.maxConnections) || flags.maxConnections < 1) throw new UsageError(`--max-connections ${flags.maxConnections}: use a positive number of connections (default ${SERVER_LIMIT_DEFAULTS.maxConnections})`);
  if (!Number.isInteger(flags.workers) || flags.workers < 0) throw new UsageError(`--workers ${flags.workers}: use a positive number of processes (0 = the CPU limit)`);
  if (flags.idleTimeoutMs <= 0) throw new UsageError('--idle-timeout: must be positive (e.g. 90s)');
  if (flags.serviceAccountLookupGracePeriodMs < 0) throw new UsageError('--service-account-lookup-grace-period: must not be negative (0 disables waiting)');
  if (flags.logFormat !== '' && flags.logFormat !== 'json' && flags.logFormat !== 'text') throw new UsageError(`--log-format ${JSON.stringify(flags.logFormat)}: use json or text`);
  if (flags.configMap !== '' && flags.serviceAccounts === '') throw new UsageError('--config-map FILE is for offline mode: give --service-accounts FILE|DIR too (with the Kubernetes API use --watch-config-map)');
  if (flags.serviceAccounts !== '' && (flags.kubeconfig !== '' || flags.kubeApi !== '')) throw new UsageError('--service-accounts (offline) and --kubeconfig/--kube-api (Kubernetes API) exclude each other; pick one source of ServiceAccounts');

  const settings: MutationSettings = mutationSettingsOf(flags);
  const server: WebhookServerConfig = {
    port: flags.port,
    metricsPort: flags.metricsPort,
    tlsCertFile: resolve(cwd, flags.tlsCert),
    tlsKeyFile: resolve(cwd, flags.tlsKey),
    tlsMinVersion: flags.tlsMinVersion,
    tlsCipherSuites: flags.tlsCipherSuites,
    settings,
    lookupGracePeriodMs: flags.serviceAccountLookupGracePeriodMs,
    enableDebuggingHandlers: flags.enableDebuggingHandlers,
    maxConnections: flags.maxConnections,
    idleTimeoutMs: flags.idleTimeoutMs,
  };
  const source: WebhookPlan['source'] = flags.serviceAccounts !== ''
    ? { kind: 'files', serviceAccounts: resolve(cwd, flags.serviceAccounts), configMap: flags.configMap === '' ? '' : resolve(cwd, flags.configMap) }
    : { kind: 'kubernetes', kubeconfig: flags.kubeconfig === '' ? '' : resolve(cwd, flags.kubeconfig), kubeApi: flags.kubeApi };
  return { server, settings, source, logLevel: logLevelForVerbosity(flags.v), logFormat: flags.logFormat === '' ? undefined : flags.logFormat };
}

/** What `runWebhook` needs from the process (replaceable in tests). */
export interface WebhookProcess {
  /** Registers a signal handler (default `process.on`). */
  onSignal(signal: 'SIGTERM' | 'SIGINT', handler: () => void): void;
  /** Ends the process at once (second signal; default `process.exit`). */
  exit(code: number): void;
  logger?: Logger;
}

const realProcess: WebhookProcess = {
  onSignal: (signal, handler) => process.on(signal, handler),
  exit: (code) => process.exit(code),
};

/**
 * Runs the webhook until the first SIGTERM/SIGINT, then drains in-flight requests (up to 10 s) and resolves 0;
 * a second signal exits 1 at once. Rejects (UsageError) when the flags or files are unusable.
 * @example
 * process.exitCode = await runWebhook(parseWebhookFlags(argv).flags, processContext());
 */
export async function runWebhook(flags: WebhookFlags, ctx: CliContext, proc: WebhookProcess = realProcess): Promise<number> {
  const plan = planWebhook(flags, ctx.cwd);
  const workers = flags.workers === 0 ? defaultWorkers() : flags.workers;
  if (flags.composeRoleArn) {
    const endpoint = ctx.env[ENV_EC2_METADATA_SERVICE_ENDPOINT];
    let identity;
    try {
      identity = await fetchInstanceIdentity(endpoint ? { endpoint } : {});
    } catch (err) {
      if (err instanceof InstanceMetadataError) throw new UsageError(`--compose-role-arn: ${err.message}, or write full role ARNs and drop the flag`, { cause: err });
      throw err;
    }
    plan.settings.composeRoleArn = { accountId: identity.accountId, partition: identity.partition };
  }
  // Check the certificate before connecting anywhere: a wrong path is the most common first-run mistake.
  let certificate: CertificatePair;
  try {
    certificate = await loadCertificatePair(plan.server.tlsCertFile, plan.server.tlsKeyFile, tlsSettingsFromFlags({ tlsMinVersion: flags.tlsMinVersion, tlsCipherSuites: flags.tlsCipherSuites }));
  } catch (err) {
    if (err instanceof TlsConfigError) throw tlsUsageError(err);
    throw err;
  }
  const logger = proc.logger ?? createLogger({ level: plan.logLevel, name: 'irsa-webhook', ...(plan.logFormat ? { format: plan.logFormat } : {}) });
  let store: ManagedIdentityStore | undefined;
  const metrics = createWebhookMetrics({ source: { size: () => store?.size() ?? 0 }, processMetrics: true });
  const ccConfig = flags.watchContainerCredentialsConfig === '' ? undefined : resolve(ctx.cwd, flags.watchContainerCredentialsConfig);
  const common = {
    annotationPrefix: plan.settings.annotationPrefix,
    containerCredentialsConfig: ccConfig,
    dumpSettings: plan.settings,
    logger,
    events: {
      ...metrics.storeEvents,
      changed: (change: IdentityChange) => storeChanged?.(change),
      configReloaded: (kind: IdentitySourceKind, ok: boolean) => {
        metrics.storeEvents.configReloaded?.(kind, ok);
        if (kind !== 'serviceaccounts') storeChanged?.({ type: 'reset' });
      },
    },
  };
  try {
    store = plan.source.kind === 'files'
      ? createFileIdentityStore({ ...common, serviceAccounts: plan.source.serviceAccounts, ...(plan.source.configMap ? { configMap: plan.source.configMap } : {}) })
      : createKubernetesIdentityStore({
          ...common,
          ...(plan.source.kubeconfig ? { kubeconfig: plan.source.kubeconfig } : {}),
          ...(plan.source.kubeApi ? { kubeApi: plan.source.kubeApi } : {}),
          namespace: flags.namespace,
          watchConfigMap: flags.watchConfigMap,
          lookupGracePeriodMs: flags.serviceAccountLookupGracePeriodMs,
          resyncPeriodMs: flags.resyncPeriodMs,
        });
  } catch (err) {
    throw kubeConfigError(err);
  }
  if (workers > 1) return runPrimary({ plan, count: workers, certificate, store, metrics, logger, proc });
  let server: WebhookServer;
  try {
    server = await startWebhookServer(plan.server, { store, logger, metrics });
  } catch (err) {
    await store.close();
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EACCES' || e.code === 'EADDRINUSE') {
      throw new UsageError(`cannot listen on port ${e.code === 'EACCES' ? `${flags.port} or ${flags.metricsPort} (permission denied: ports below 1024 need root or CAP_NET_BIND_SERVICE; use e.g. --port 8443)` : `${flags.port} or ${flags.metricsPort}: already in use`}`, { cause: err });
    }
    if (err instanceof TlsConfigError) throw tlsUsageError(err);
    throw err;
  }
  return new Promise<number>((resolveExit) => {
    let signals = 0;
    const onSignal = (): void => {
      signals++;
      if (signals > 1) {
        logger.warn('second signal: exiting now');
        proc.exit(1);
        return;
      }
      logger.info('shutting down: no new connections, finishing in-flight requests (up to 10s)');
      void server
        .shutdown()
        .then(async () => {
          await store!.close();
          resolveExit(0);
        })
        .catch((err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          resolveExit(1);
        });
    };
    proc.onSignal('SIGTERM', onSignal);
    proc.onSignal('SIGINT', onSignal);
  });
}

/** `--workers 0` (the default): the cgroup CPU limit rounded down, at least 1, at most the CPUs available. */
function defaultWorkers(): number {
  return processesForCpuLimit(cpuLimitFromCgroup(readCgroupCpuFiles()), availableParallelism());
}

/** What a worker runs: bin/irsa, which starts cli/webhook-worker for it (from src/ or dist/ alike), whatever process hosts the primary. */
const IRSA_BIN = fileURLToPath(new URL('../../bin/irsa', import.meta.url));

/**
 * The plan each of `count` workers runs: the process tree keeps the single process's memory bounds, so the
 * connection and buffered-bytes limits are shared out (a buffer never below one maximal HTTP/2 session's).
 */
export function workerPlan(plan: WebhookPlan, count: number): WebhookPlan {
  const connections = plan.server.maxConnections ?? SERVER_LIMIT_DEFAULTS.maxConnections;
  const buffered = plan.server.maxBufferedBytes ?? SERVER_LIMIT_DEFAULTS.maxBufferedBytes;
  const session = plan.server.maxSessionBufferedBytes ?? SERVER_LIMIT_DEFAULTS.maxSessionBufferedBytes;
  return {
    ...plan,
    server: { ...plan.server, maxConnections: Math.ceil(connections / count), maxBufferedBytes: Math.max(session, Math.floor(buffered / count)) },
  };
}

interface PrimaryOptions {
  plan: WebhookPlan;
  count: number;
  /** The pair checked at start; the primary's reloader watches the files from there and hands new pairs over. */
  certificate: CertificatePair;
  store: ManagedIdentityStore;
  metrics: ReturnType<typeof createWebhookMetrics>;
  logger: Logger;
  proc: WebhookProcess;
}

/**
 * `--workers N` (N > 1): forks the workers, watches the certificate files for them, serves the aggregated metrics
 * (and the debug cache routes, from the store it owns); the first signal drains every worker, a second exits 1.
 */
async function runPrimary({ plan, count, certificate, store, metrics, logger, proc }: PrimaryOptions): Promise<number> {
  const pool = startWorkerPool({
    count,
    store,
    metrics,
    exec: IRSA_BIN,
    args: ['webhook'],
    env: { [WORKER_PLAN_ENV]: JSON.stringify(workerPlan(plan, count)) },
    onUnexpectedExit: (code, signal) => logger.error({ code, signal }, 'a webhook worker exited unexpectedly'),
  });
  storeChanged = (change) => pool.changed(change);
  const { server } = plan;
  const reloader = new CertificateReloader(certificate, {
    certFile: server.tlsCertFile,
    keyFile: server.tlsKeyFile,
    settings: tlsSettingsFromFlags({ tlsMinVersion: server.tlsMinVersion ?? '', tlsCipherSuites: server.tlsCipherSuites ?? '' }),
    logger,
    onReload: (outcome, pair) => {
      metrics.certificateReloads.labels(outcome).inc();
      if (outcome === 'ok' && pair !== undefined) pool.certificate(pair);
    },
  });
  const metricsServer = server.metricsPort >= 0
    ? createMetricsPortServer({
        scrape: async () => ({ contentType: pool.contentType, body: await pool.metrics() }),
        // The primary owns the store: the dump is the whole cache; a clear reaches the workers as a new snapshot.
        debugStore: server.enableDebuggingHandlers === true ? { dump: () => store.dump(), clear: () => { store.clear(); pool.changed({ type: 'reset' }); } } : undefined,
        logger,
      })
    : undefined;

  let stopping: Promise<number> | undefined;
  const stop = (): Promise<number> => (stopping ??= (async () => {
    reloader.stop();
    const clean = await pool.shutdown();
    metricsServer?.close();
    metricsServer?.closeAllConnections();
    await store.close();
    return clean ? 0 : 1;
  })());
  // Signals count from the fork on: one that comes while the workers start drains them as well.
  let signals = 0;
  const exitCode = new Promise<number>((resolveExit) => {
    const onSignal = (): void => {
      if (++signals > 1) {
        logger.warn('second signal: exiting now');
        proc.exit(1);
        return;
      }
      logger.info({ workers: count }, 'shutting down: no new connections, workers finish their in-flight requests (up to 10s)');
      void stop().then(resolveExit);
    };
    proc.onSignal('SIGTERM', onSignal);
    proc.onSignal('SIGINT', onSignal);
  });

  let port: number;
  try {
    port = await pool.ready;
    if (metricsServer) await new Promise<void>((r, j) => metricsServer.once('error', j).listen(server.metricsPort, server.host, () => r()));
  } catch (err) {
    if (signals > 0) return exitCode;
    await stop();
    throw err;
  }
  reloader.start({ setSecureContext: () => {} }); // the primary serves no TLS: onReload hands each pair to the workers
  const metricsPort = (metricsServer?.address() as AddressInfo | null)?.port;
  logger.info({ port, metricsPort, workers: count, fingerprint256: certificate.fingerprint256 }, 'webhook listening');
  return exitCode;
}

/** Set by the primary before its store emits changes (the store is built before the pool). */
let storeChanged: ((change: IdentityChange) => void) | undefined;

/** Registers `irsa webhook` (flags parsed pflag-style here, not by commander) and `irsa webhook certs`. */
export const registerWebhookCommand: RegisterCommand = (program: Command, ctx: CliContext) => {
  const webhook = program
    .command('webhook')
    .description('run the pod identity webhook (the EKS pod identity webhook\'s flags; --help lists them)')
    .helpOption(false)
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .argument('[flags...]', 'EKS webhook flags')
    .action(async (_args: string[], _opts: unknown, command: Command) => {
      const argv = command.args;
      const { flags, errors, set } = parseWebhookFlags(argv);
      // Upstream's default --in-cluster=true (CSR-issued certificate) cannot work; only an explicit true is refused,
      // without the flag the certificate comes from --tls-cert/--tls-key as every upstream manifest configures it.
      if (!set.has('in-cluster')) flags.inCluster = false;
      if (flags.help) {
        ctx.stdout.write(webhookHelp());
        return;
      }
      if (errors.length > 0) throw new UsageError(`${errors.join('; ')} (irsa webhook --help lists the flags)`);
      if (flags.version) {
        // Upstream prints its version as `v0.1.0` (a bare `v` + semver, section 1 of the spec); ours is the package
        // version, which the root program read from package.json (`.version()` with no argument returns it).
        ctx.stdout.write(`v${command.parent?.version() ?? ''}\n`);
        return;
      }
      const code = await runWebhook(flags, ctx);
      if (code !== 0) throw new IrsaError('ERR_WEBHOOK_SHUTDOWN', 'the webhook did not shut down cleanly (see the log above)', { exitCode: code });
    });
  // Subcommands inherit the parent's help and excess-argument settings; `certs` is an ordinary commander command.
  registerWebhookCertsCommand(webhook, ctx).helpOption('-h, --help', 'display help for command').allowExcessArguments(false);
};
