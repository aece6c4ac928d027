/**
 * `irsa webhook [flags]`: the pod identity webhook server with the EKS webhook's flags (same names, pflag syntax,
 * Go durations, defaults, klog flags), ServiceAccounts from the Kubernetes API or, offline, from manifest files;
 * `irsa webhook certs`: a CA and serving certificate for clusters without cert-manager.
 * @module
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { IrsaError, UsageError } from '../lib/errors.js';
import { GoParseError, parseGoDurationMs, parseGoIntBase0, tryParseGoBool } from '../lib/go-parse.js';
import { createLogger, type Logger, type LogFormat } from '../lib/log.js';
import { defaultMutationSettings, type MutationSettings } from '../webhook/constants.js';
import { createFileIdentityStore, createKubernetesIdentityStore, type ManagedIdentityStore } from '../webhook/identity-cache.js';
import { createWebhookMetrics } from '../webhook/metrics.js';
import { startWebhookServer, type WebhookServer, type WebhookServerConfig } from '../webhook/server.js';
import { loadCertificatePair, parseTlsCipherSuites, parseTlsMinVersion, TlsConfigError, tlsSettingsFromFlags } from '../webhook/tls.js';
import type { RegisterCommand } from './commands.js';
import type { CliContext } from './context.js';
import { registerWebhookCertsCommand } from './webhook-certs.js';

/** Every flag of `irsa webhook`, typed. Names are the flags' names camelCased; durations are in ms. */
export interface WebhookFlags {
  port: number;
  metricsPort: number;
  kubeconfig: string;
  kubeApi: string;
  tlsKey: string;
  tlsCert: string;
  tlsCipherSuites: string;
  tlsMinVersion: string;
  inCluster: boolean;
  serviceName: string;
  namespace: string;
  tlsSecret: string;
  annotationPrefix: string;
  tokenAudience: string;
  tokenMountPath: string;
  tokenExpiration: number;
  awsDefaultRegion: string;
  stsRegionalEndpoint: boolean;
  watchConfigMap: boolean;
  composeRoleArn: boolean;
  watchContainerCredentialsConfig: string;
  containerCredentialsAudience: string;
  containerCredentialsTokenMountPath: string;
  containerCredentialsTokenVolumeName: string;
  containerCredentialsTokenPath: string;
  containerCredentialsFullUri: string;
  version: boolean;
  enableDebuggingHandlers: boolean;
  serviceAccountLookupGracePeriodMs: number;
  resyncPeriodMs: number;
  // irsa-kit additions
  serviceAccounts: string;
  configMap: string;
  logFormat: '' | LogFormat;
  // klog flags (parsed; only -v/--v has an effect: the log level)
  v: number;
  vmodule: string;
  logtostderr: boolean;
  alsologtostderr: boolean;
  logDir: string;
  logFile: string;
  logFileMaxSize: number;
  addDirHeader: boolean;
  skipHeaders: boolean;
  skipLogHeaders: boolean;
  oneOutput: boolean;
  stderrthreshold: string;
  logBacktraceAt: string;
  legacyStderrThresholdBehavior: boolean;
  help: boolean;
}

type FlagKind = 'int' | 'string' | 'bool' | 'duration' | 'level' | 'uint64' | 'severity' | 'vmodule' | 'trace';

interface FlagSpec {
  name: string;
  key: keyof WebhookFlags;
  kind: FlagKind;
  usage: string;
  shorthand?: string;
  /** Differs from upstream (shown in help and docs). */
  note?: string;
  addition?: boolean;
  klog?: boolean;
}

const d = defaultMutationSettings();

/** Defaults: upstream's, except `--service-account-lookup-grace-period` (2s here, 0 upstream). */
export function defaultWebhookFlags(): WebhookFlags {
  return {
    port: 443,
    metricsPort: 9999,
    kubeconfig: '',
    kubeApi: '',
    tlsKey: '/etc/webhook/certs/tls.key',
    tlsCert: '/etc/webhook/certs/tls.crt',
    tlsCipherSuites: '',
    tlsMinVersion: '',
    inCluster: true,
    serviceName: 'pod-identity-webhook',
    namespace: 'eks',
    tlsSecret: 'pod-identity-webhook',
    annotationPrefix: d.annotationPrefix,
    tokenAudience: d.tokenAudience,
    tokenMountPath: d.tokenMountPath,
    tokenExpiration: d.tokenExpiration,
    awsDefaultRegion: '',
    stsRegionalEndpoint: false,
    watchConfigMap: false,
    composeRoleArn: false,
    watchContainerCredentialsConfig: '',
    containerCredentialsAudience: d.containerCredentialsAudience,
    containerCredentialsTokenMountPath: d.containerCredentialsTokenMountPath,
    containerCredentialsTokenVolumeName: d.containerCredentialsTokenVolumeName,
    containerCredentialsTokenPath: d.containerCredentialsTokenPath,
    containerCredentialsFullUri: d.containerCredentialsFullUri,
    version: false,
    enableDebuggingHandlers: false,
    serviceAccountLookupGracePeriodMs: 2000,
    resyncPeriodMs: 60_000,
    serviceAccounts: '',
    configMap: '',
    logFormat: '',
    v: 0,
    vmodule: '',
    logtostderr: true,
    alsologtostderr: false,
    logDir: '',
    logFile: '',
    logFileMaxSize: 1800,
    addDirHeader: false,
    skipHeaders: false,
    skipLogHeaders: false,
    oneOutput: false,
    stderrthreshold: '2',
    logBacktraceAt: ':0',
    legacyStderrThresholdBehavior: true,
    help: false,
  };
}

/** The flag table, in upstream's order, then ours, then klog's. */
export const WEBHOOK_FLAGS: readonly FlagSpec[] = [
  { name: 'port', key: 'port', kind: 'int', usage: 'Port to listen on' },
  { name: 'metrics-port', key: 'metricsPort', kind: 'int', usage: 'Port to listen on for metrics and healthz (http)' },
  { name: 'kubeconfig', key: 'kubeconfig', kind: 'string', usage: '(out-of-cluster) Absolute path to the API server kubeconfig file' },
  { name: 'kube-api', key: 'kubeApi', kind: 'string', usage: '(out-of-cluster) The url to the API server' },
  { name: 'tls-key', key: 'tlsKey', kind: 'string', usage: '(out-of-cluster) TLS key file path' },
  { name: 'tls-cert', key: 'tlsCert', kind: 'string', usage: '(out-of-cluster) TLS certificate file path' },
  { name: 'tls-cipher-suites', key: 'tlsCipherSuites', kind: 'string', usage: 'Comma-separated list of cipher suites (IANA names as Go spells them); empty = defaults' },
  { name: 'tls-min-version', key: 'tlsMinVersion', kind: 'string', usage: 'Minimum TLS version: 1.0, 1.1, 1.2, 1.3 or VersionTLS10..VersionTLS13; empty = 1.2' },
  { name: 'in-cluster', key: 'inCluster', kind: 'bool', usage: 'Use in-cluster authentication and certificate request API', note: 'an explicit true is refused (the CSR API no longer signs); when absent, irsa webhook reads --tls-cert/--tls-key as with --in-cluster=false' },
  { name: 'service-name', key: 'serviceName', kind: 'string', usage: '(in-cluster) The service name fronting this webhook (accepted, unused)' },
  { name: 'namespace', key: 'namespace', kind: 'string', usage: '(in-cluster) The namespace of the pod-identity-webhook ConfigMap (--watch-config-map)' },
  { name: 'tls-secret', key: 'tlsSecret', kind: 'string', usage: '(in-cluster) The secret name for storing the TLS serving cert (accepted, unused)' },
  { name: 'annotation-prefix', key: 'annotationPrefix', kind: 'string', usage: 'The Service Account annotation to look for' },
  { name: 'token-audience', key: 'tokenAudience', kind: 'string', usage: 'The default audience for tokens. Can be overridden by annotation' },
  { name: 'token-mount-path', key: 'tokenMountPath', kind: 'string', usage: 'The path to mount tokens' },
  { name: 'token-expiration', key: 'tokenExpiration', kind: 'int', usage: 'The token expiration (seconds; values below 600 become 600)' },
  { name: 'aws-default-region', key: 'awsDefaultRegion', kind: 'string', usage: 'If set, AWS_DEFAULT_REGION and AWS_REGION will be set to this value in mutated containers' },
  { name: 'sts-regional-endpoint', key: 'stsRegionalEndpoint', kind: 'bool', usage: 'Whether to inject the AWS_STS_REGIONAL_ENDPOINTS=regional env var in mutated pods' },
  { name: 'watch-config-map', key: 'watchConfigMap', kind: 'bool', usage: 'Enables watching serviceaccounts that are configured through the pod-identity-webhook configmap' },
  { name: 'compose-role-arn', key: 'composeRoleArn', kind: 'bool', usage: 'If true, then the role name and path can be used instead of the full arn (account and partition from EC2 IMDS)' },
  { name: 'watch-container-credentials-config', key: 'watchContainerCredentialsConfig', kind: 'string', usage: 'Absolute path to the EKS Pod Identity config file to watch' },
  { name: 'container-credentials-audience', key: 'containerCredentialsAudience', kind: 'string', usage: 'The audience for tokens used by the container credential provider' },
  { name: 'container-credentials-token-mount-path', key: 'containerCredentialsTokenMountPath', kind: 'string', usage: 'The path to mount tokens used by the container credential provider' },
  { name: 'container-credentials-token-volume-name', key: 'containerCredentialsTokenVolumeName', kind: 'string', usage: 'The name of the volume holding the container credential provider token' },
  { name: 'container-credentials-token-path', key: 'containerCredentialsTokenPath', kind: 'string', usage: 'The path of the container credential provider token inside the volume' },
  { name: 'container-credentials-full-uri', key: 'containerCredentialsFullUri', kind: 'string', usage: 'The value of AWS_CONTAINER_CREDENTIALS_FULL_URI' },
  { name: 'version', key: 'version', kind: 'bool', usage: 'Display the version and exit' },
  { name: 'enable-debugging-handlers', key: 'enableDebuggingHandlers', kind: 'bool', usage: 'Enable debugging handlers on the metrics port (/debug/alpha/cache) and the TLS port (/debug/alpha/deny, /debug/alpha/500)' },
  { name: 'service-account-lookup-grace-period', key: 'serviceAccountLookupGracePeriodMs', kind: 'duration', usage: 'How long to wait (watch + direct GET) for a ServiceAccount not in the cache; 0 = no wait', note: 'upstream\'s default is 0 (no wait: pods created right after their ServiceAccount get no credentials)' },
  { name: 'resync-period', key: 'resyncPeriodMs', kind: 'duration', usage: 'Informer resync period (accepted; freshness comes from the watch and relists)' },
  { name: 'service-accounts', key: 'serviceAccounts', kind: 'string', usage: 'Offline: ServiceAccount manifests (file or directory, watched) instead of the Kubernetes API', addition: true },
  { name: 'config-map', key: 'configMap', kind: 'string', usage: 'Offline: the pod-identity-webhook ConfigMap manifest (file, watched)', addition: true },
  { name: 'log-format', key: 'logFormat', kind: 'string', usage: 'json or text (default: text on a terminal, else json)', addition: true },
  { name: 'v', key: 'v', kind: 'level', shorthand: 'v', usage: 'number for the log level verbosity (0-2 info, 3-4 debug: mutations and access log, 5+ trace)', klog: true },
  { name: 'vmodule', key: 'vmodule', kind: 'vmodule', usage: 'comma-separated list of pattern=N settings for file-filtered logging (accepted, ignored)', klog: true },
  { name: 'logtostderr', key: 'logtostderr', kind: 'bool', usage: 'log to standard error instead of files (logs always go to stderr)', klog: true },
  { name: 'alsologtostderr', key: 'alsologtostderr', kind: 'bool', usage: 'log to standard error as well as files (accepted, ignored)', klog: true },
  { name: 'log_dir', key: 'logDir', kind: 'string', usage: 'If non-empty, write log files in this directory (accepted, ignored)', klog: true },
  { name: 'log_file', key: 'logFile', kind: 'string', usage: 'If non-empty, use this log file (accepted, ignored)', klog: true },
  { name: 'log_file_max_size', key: 'logFileMaxSize', kind: 'uint64', usage: 'Maximum size a log file can grow to, in MB (accepted, ignored)', klog: true },
  { name: 'add_dir_header', key: 'addDirHeader', kind: 'bool', usage: 'If true, adds the file directory to the header of the log messages (accepted, ignored)', klog: true },
  { name: 'skip_headers', key: 'skipHeaders', kind: 'bool', usage: 'If true, avoid header prefixes in the log messages (accepted, ignored)', klog: true },
  { name: 'skip_log_headers', key: 'skipLogHeaders', kind: 'bool', usage: 'If true, avoid headers when opening log files (accepted, ignored)', klog: true },
  { name: 'one_output', key: 'oneOutput', kind: 'bool', usage: 'If true, only write logs to their native severity level (accepted, ignored)', klog: true },
  { name: 'stderrthreshold', key: 'stderrthreshold', kind: 'severity', usage: 'logs at or above this threshold go to stderr (accepted, ignored)', klog: true },
  { name: 'log_backtrace_at', key: 'logBacktraceAt', kind: 'trace', usage: 'when logging hits line file:N, emit a stack trace (accepted, ignored)', klog: true },
  { name: 'legacy_stderr_threshold_behavior', key: 'legacyStderrThresholdBehavior', kind: 'bool', usage: 'If true, stderrthreshold is ignored when logging to files (accepted, ignored)', klog: true },
];

const BY_NAME = new Map(WEBHOOK_FLAGS.map((f) => [f.name, f]));
const BY_SHORTHAND = new Map(WEBHOOK_FLAGS.filter((f) => f.shorthand).map((f) => [f.shorthand!, f]));
const SEVERITIES = ['INFO', 'WARNING', 'ERROR', 'FATAL'];

/** The result of parsing argv: the flags (defaults where not given) and every problem found, pflag-style. */
export interface ParseWebhookFlagsResult {
  flags: WebhookFlags;
  errors: string[];
  /** Flags given explicitly, by name (e.g. to tell a default from a choice). */
  set: Set<string>;
}

function setValue(flags: WebhookFlags, spec: FlagSpec, raw: string, shown: string): string | undefined {
  const invalid = (why: string) => `invalid argument ${JSON.stringify(raw)} for "${shown}" flag: ${why}`;
  const target = flags as unknown as Record<string, unknown>;
  try {
    switch (spec.kind) {
      case 'string':
      case 'vmodule':
        if (spec.kind === 'vmodule' && raw !== '') {
          for (const pat of raw.split(',')) {
            const [p, n, extra] = pat.split('=');
            if (p === undefined || p === '' || n === undefined || extra !== undefined || !/^[0-9]+$/.test(n)) return invalid(`syntax error: expect comma-separated list of filename=N`);
          }
        }
        target[spec.key] = raw;
        return undefined;
      case 'bool': {
        const b = tryParseGoBool(raw);
        if (b === undefined) return invalid(`strconv.ParseBool: parsing ${JSON.stringify(raw)}: invalid syntax`);
        target[spec.key] = b;
        return undefined;
      }
      case 'int':
        target[spec.key] = parseGoIntBase0(raw);
        return undefined;
      case 'uint64': {
        const n = parseGoIntBase0(raw);
        if (n < 0) return invalid(`strconv.ParseUint: parsing ${JSON.stringify(raw)}: invalid syntax`);
        target[spec.key] = n;
        return undefined;
      }
      case 'level': {
        if (!/^[+-]?[0-9]+$/.test(raw)) return invalid(`strconv.ParseInt: parsing ${JSON.stringify(raw)}: invalid syntax`);
        const n = Number(raw);
        if (n > 2147483647 || n < -2147483648) return invalid(`strconv.ParseInt: parsing ${JSON.stringify(raw)}: value out of range`);
        target[spec.key] = n;
        return undefined;
      }
      case 'severity': {
        const upper = raw.toUpperCase();
        if (SEVERITIES.includes(upper)) target[spec.key] = String(SEVERITIES.indexOf(upper));
        else if (/^[0-9]+$/.test(raw) && Number(raw) < SEVERITIES.length) target[spec.key] = raw;
        else return invalid(`unknown severity; use INFO, WARNING, ERROR or FATAL`);
        return undefined;
      }
      case 'trace': {
        // klog: '' or exactly `file:line`, the file containing a dot, the line an integer.
        const fields = raw.split(':');
        if (raw !== '' && (fields.length !== 2 || !fields[0]!.includes('.') || !/^[+-]?[0-9]+$/.test(fields[1]!))) return invalid('syntax error: expect file.go:234');
        target[spec.key] = raw;
        return undefined;
      }
      case 'duration': {
        const ms = parseGoDurationMs(raw);
        target[spec.key] = ms;
        return undefined;
      }
    }
  } catch (err) {
    if (err instanceof GoParseError) return invalid(err.message);
    throw err;
  }
}

/**
 * Parses `irsa webhook` arguments with pflag's rules: `--name=value` or `--name value`; booleans `--flag` (true)
 * or `--flag=false` (a following word is not their value); `-v 4`, `-v=4`, `-v4`; `--` ends flags; ints with
 * Go base prefixes; durations in Go syntax. Pure: never throws for bad input, returns every error.
 * @example
 * const { flags, errors } = parseWebhookFlags(['--in-cluster=false', '--port', '8443', '-v=4']);
 */
export function parseWebhookFlags(argv: readonly string[]): ParseWebhookFlagsResult {
  const flags = defaultWebhookFlags();
  const errors: string[] = [];
  const set = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      for (const rest of argv.slice(i + 1)) errors.push(`unexpected argument ${JSON.stringify(rest)}: irsa webhook takes flags only`);
      break;
    }
    if (arg === '--help' || arg === '-h') {
      flags.help = true;
      continue;
    }
    if (arg.startsWith('--')) {
      const body = arg.slice(2);
      const eq = body.indexOf('=');
      const name = eq < 0 ? body : body.slice(0, eq);
      const spec = BY_NAME.get(name);
      if (spec === undefined || name === '') {
        errors.push(`unknown flag: --${name}${suggest(name)}`);
        continue;
      }
      set.add(spec.name);
      let value: string;
      if (eq >= 0) value = body.slice(eq + 1);
      else if (spec.kind === 'bool') value = 'true';
      else if (i + 1 < argv.length) value = argv[++i]!;
      else {
        errors.push(`flag needs an argument: --${name}`);
        continue;
      }
      const err = setValue(flags, spec, value, `--${name}`);
      if (err) errors.push(err);
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      const c = arg[1]!;
      const spec = BY_SHORTHAND.get(c);
      if (spec === undefined) {
        errors.push(`unknown shorthand flag: '${c}' in ${arg}${arg.length > 2 ? ` (long flags take two dashes: -${arg})` : ''}`);
        continue;
      }
      set.add(spec.name);
      let value: string;
      if (arg.length > 2) value = arg[2] === '=' ? arg.slice(3) : arg.slice(2);
      else if (i + 1 < argv.length) value = argv[++i]!;
      else {
        errors.push(`flag needs an argument: '${c}' in -${c}`);
        continue;
      }
      const err = setValue(flags, spec, value, `-${c}`);
      if (err) errors.push(err);
      continue;
    }
    errors.push(`unexpected argument ${JSON.stringify(arg)}: irsa webhook takes flags only${arg === 'true' || arg === 'false' ? ' (booleans take the form --flag=false)' : ''}`);
  }
  return { flags, errors, set };
}

function suggest(name: string): string {
  const dashed = name.replace(/_/g, '-');
  const underscored = name.replace(/-/g, '_');
  for (const candidate of [dashed, underscored]) if (candidate !== name && BY_NAME.has(candidate)) return ` (did you mean --${candidate}?)`;
  return '';
}

/** The help text: every flag with its type and default, pflag-style. */
export function webhookHelp(): string {
  const defaults = defaultWebhookFlags() as unknown as Record<string, unknown>;
  const lines = ['Usage: irsa webhook [flags]', '       irsa webhook certs [options]   (a CA and serving certificate; see --help there)', '', 'The pod identity webhook, with the EKS pod identity webhook\'s flags.', '', 'Flags:'];
  for (const f of WEBHOOK_FLAGS) {
    const raw = defaults[f.key];
    const def = f.kind === 'duration' ? formatMs(raw as number) : typeof raw === 'string' && f.kind === 'string' ? JSON.stringify(raw) : raw;
    const type = f.kind === 'bool' ? '' : ` ${f.kind === 'level' ? 'Level' : f.kind === 'vmodule' ? 'pattern=N,...' : f.kind === 'trace' ? 'file:N' : f.kind === 'severity' ? 'severity' : f.kind}`;
    const name = f.shorthand ? `-${f.shorthand}, --${f.name}` : `    --${f.name}`;
    const shownDefault = def === '""' || def === '' || def === false ? '' : ` (default ${String(def)})`;
    lines.push(`  ${name}${type}`, `        ${f.usage}${shownDefault}${f.note ? `; ${f.note}` : ''}${f.addition ? ' [irsa-kit]' : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

function formatMs(ms: number): string {
  if (ms === 0) return '0s';
  if (ms % 60_000 === 0) return `${ms / 60_000}m0s`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** The klog verbosity as a pino level. */
export function logLevelForVerbosity(v: number): 'info' | 'debug' | 'trace' {
  if (v >= 5) return 'trace';
  if (v >= 3) return 'debug';
  return 'info';
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
    if (err instanceof TlsConfigError) throw new UsageError(err.message);
    throw err;
  }
  for (const [name, port] of [['--port', flags.port], ['--metrics-port', flags.metricsPort]] as const) {
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`${name} ${port}: use a TCP port between 1 and 65535`);
  }
  if (flags.serviceAccountLookupGracePeriodMs < 0) throw new UsageError('--service-account-lookup-grace-period: must not be negative (0 disables waiting)');
  if (flags.logFormat !== '' && flags.logFormat !== 'json' && flags.logFormat !== 'text') throw new UsageError(`--log-format ${JSON.stringify(flags.logFormat)}: use json or text`);
  if (flags.configMap !== '' && flags.serviceAccounts === '') throw new UsageError('--config-map FILE is for offline mode: give --service-accounts FILE|DIR too (with the Kubernetes API use --watch-config-map)');
  if (flags.serviceAccounts !== '' && (flags.kubeconfig !== '' || flags.kubeApi !== '')) throw new UsageError('--service-accounts (offline) and --kubeconfig/--kube-api (Kubernetes API) exclude each other; pick one source of ServiceAccounts');

  const settings: MutationSettings = {
    ...defaultMutationSettings(),
    annotationPrefix: flags.annotationPrefix,
    tokenAudience: flags.tokenAudience,
    tokenExpiration: Math.max(600, flags.tokenExpiration),
    tokenMountPath: flags.tokenMountPath,
    awsDefaultRegion: flags.awsDefaultRegion,
    stsRegionalEndpoint: flags.stsRegionalEndpoint,
    containerCredentialsAudience: flags.containerCredentialsAudience,
    containerCredentialsTokenMountPath: flags.containerCredentialsTokenMountPath,
    containerCredentialsTokenVolumeName: flags.containerCredentialsTokenVolumeName,
    containerCredentialsTokenPath: flags.containerCredentialsTokenPath,
    containerCredentialsFullUri: flags.containerCredentialsFullUri,
  };
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
  };
  const source: WebhookPlan['source'] = flags.serviceAccounts !== ''
    ? { kind: 'files', serviceAccounts: resolve(cwd, flags.serviceAccounts), configMap: flags.configMap === '' ? '' : resolve(cwd, flags.configMap) }
    : { kind: 'kubernetes', kubeconfig: flags.kubeconfig === '' ? '' : resolve(cwd, flags.kubeconfig), kubeApi: flags.kubeApi };
  return { server, settings, source, logLevel: logLevelForVerbosity(flags.v), logFormat: flags.logFormat === '' ? undefined : flags.logFormat };
}

/** Partition of a region, as upstream derives it for `--compose-role-arn`. */
export function partitionOfRegion(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  if (region.startsWith('eusc-')) return 'aws-eusc';
  return 'aws';
}

/**
 * `--compose-role-arn`: the account and partition of the EC2 instance, from the instance identity document
 * (IMDSv2: a session token, then the document). `endpoint` defaults to `AWS_EC2_METADATA_SERVICE_ENDPOINT` or
 * `http://169.254.169.254`. Throws UsageError when IMDS cannot be reached (upstream exits fatally too).
 * @example
 * const { accountId, partition } = await fetchInstanceIdentity({ endpoint: 'http://169.254.169.254' });
 */
export async function fetchInstanceIdentity(options: { endpoint?: string; fetch?: typeof fetch; timeoutMs?: number } = {}): Promise<{ accountId: string; partition: string; region: string }> {
  const base = (options.endpoint ?? 'http://169.254.169.254').replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 2000;
  try {
    const tokenRes = await doFetch(`${base}/latest/api/token`, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '21600' }, signal: AbortSignal.timeout(timeoutMs) });
    if (!tokenRes.ok) throw new Error(`token request: HTTP ${tokenRes.status}`);
    const token = await tokenRes.text();
    const docRes = await doFetch(`${base}/latest/dynamic/instance-identity/document`, { headers: { 'x-aws-ec2-metadata-token': token }, signal: AbortSignal.timeout(timeoutMs) });
    if (!docRes.ok) throw new Error(`instance identity document: HTTP ${docRes.status}`);
    const doc = (await docRes.json()) as { accountId?: unknown; region?: unknown };
    if (typeof doc.accountId !== 'string' || typeof doc.region !== 'string') throw new Error('instance identity document lacks accountId or region');
    return { accountId: doc.accountId, region: doc.region, partition: partitionOfRegion(doc.region) };
  } catch (cause) {
    throw new UsageError(`--compose-role-arn: cannot read the instance identity from EC2 instance metadata at ${base} (${(cause as Error).message}); run on EC2 with IMDS reachable, or write full role ARNs and drop the flag`, { cause });
  }
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
  if (flags.composeRoleArn) {
    const endpoint = ctx.env.AWS_EC2_METADATA_SERVICE_ENDPOINT;
    const identity = await fetchInstanceIdentity(endpoint ? { endpoint } : {});
    plan.settings.composeRoleArn = { accountId: identity.accountId, partition: identity.partition };
  }
  // Check the certificate before connecting anywhere: a wrong path is the most common first-run mistake.
  try {
    await loadCertificatePair(plan.server.tlsCertFile, plan.server.tlsKeyFile, tlsSettingsFromFlags({ tlsMinVersion: flags.tlsMinVersion, tlsCipherSuites: flags.tlsCipherSuites }));
  } catch (err) {
    if (err instanceof TlsConfigError) throw new UsageError(err.message, { cause: err });
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
    events: metrics.storeEvents,
  };
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
  let server: WebhookServer;
  try {
    server = await startWebhookServer(plan.server, { store, logger, metrics });
  } catch (err) {
    await store.close();
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EACCES' || e.code === 'EADDRINUSE') {
      throw new UsageError(`cannot listen on port ${e.code === 'EACCES' ? `${flags.port} or ${flags.metricsPort} (permission denied: ports below 1024 need root or CAP_NET_BIND_SERVICE; use e.g. --port 8443)` : `${flags.port} or ${flags.metricsPort}: already in use`}`, { cause: err });
    }
    if (err instanceof TlsConfigError) throw new UsageError(err.message, { cause: err });
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
