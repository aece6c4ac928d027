/**
 * The flags of `irsa webhook`: the EKS webhook's names, defaults and pflag syntax (`--name=value`, `--name value`,
 * booleans only as `--name=false`), Go durations and integers, klog's flags; parsing is a pure function.
 * @module
 */
import { GoParseError } from '../lib/errors.js';
import { parseGoDurationMs, parseGoIntBase0, tryParseGoBool } from '../lib/go-parse.js';
import type { LogFormat } from '../lib/log.js';
import { SERVER_LIMIT_DEFAULTS } from '../webhook/server.js';
import { defaultMutationFlags, MUTATION_FLAGS, type MutationFlags, type MutationFlagSpec } from './mutation-flag-table.js';

/**
 * Every flag of `irsa webhook`, typed. Names are the flags' names camelCased; durations are in ms. The mutation
 * flags ({@link MutationFlags}) come from the table shared with `irsa inject` and `irsa exec`.
 */
export interface WebhookFlags extends MutationFlags {
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
  watchConfigMap: boolean;
  composeRoleArn: boolean;
  version: boolean;
  enableDebuggingHandlers: boolean;
  serviceAccountLookupGracePeriodMs: number;
  resyncPeriodMs: number;
  // irsa-kit additions
  serviceAccounts: string;
  configMap: string;
  logFormat: '' | LogFormat;
  maxConnections: number;
  idleTimeoutMs: number;
  /** `--workers`: processes serving admissions (0, the default = the cgroup CPU limit, at most the CPUs available). */
  workers: number;
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

/** Defaults: upstream's, except `--service-account-lookup-grace-period` (2s here, 0 upstream). */
export function defaultWebhookFlags(): WebhookFlags {
  return {
    ...defaultMutationFlags(),
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
    watchConfigMap: false,
    composeRoleArn: false,
    version: false,
    enableDebuggingHandlers: false,
    serviceAccountLookupGracePeriodMs: 2000,
    resyncPeriodMs: 60_000,
    serviceAccounts: '',
    configMap: '',
    logFormat: '',
    maxConnections: SERVER_LIMIT_DEFAULTS.maxConnections,
    idleTimeoutMs: SERVER_LIMIT_DEFAULTS.idleTimeoutMs,
    workers: 0,
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

/** A mutation flag of the shared table as pflag declares it: same name, kind and help text. */
function pflagSpec(flag: MutationFlagSpec): FlagSpec {
  return { name: flag.name, key: flag.key, kind: flag.kind, usage: flag.usage };
}
// Upstream declares --watch-config-map and --compose-role-arn between the web identity and Pod Identity flags.
const POD_IDENTITY_FLAGS_START = MUTATION_FLAGS.findIndex((f) => f.key === 'watchContainerCredentialsConfig');

/** The flag table, in upstream's order, then ours, then klog's. */
export const WEBHOOK_FLAGS: readonly FlagSpec[] = [
  { name: 'port', key: 'port', kind: 'int', usage: 'Port to listen on' },
  { name: 'metrics-port', key: 'metricsPort', kind: 'int', usage: 'Port to listen on for metrics and healthz (http)' },
  { name: 'kubeconfig', key: 'kubeconfig', kind: 'string', usage: '(out-of-cluster) Absolute path to the API server kubeconfig file' },
  { name: 'kube-api', key: 'kubeApi', kind: 'string', usage: '(out-of-cluster) The url to the API server' },
  { name: 'tls-key', key: 'tlsKey', kind: 'string', usage: '(out-of-cluster) TLS key file path' },
  { name: 'tls-cert', key: 'tlsCert', kind: 'string', usage: '(out-of-cluster) TLS certificate file path' },
  { name: 'tls-cipher-suites', key: 'tlsCipherSuites', kind: 'string', usage: 'Comma-separated list of cipher suites (IANA names as Go spells them); empty = defaults' },
  { name: 'tls-min-version', key: 'tlsMinVersion', kind: 'string', usage: 'Minimum TLS version: 1.2, 1.3 or VersionTLS12, VersionTLS13; empty = 1.2', note: '1.0 and 1.1 are refused at start (OpenSSL 3 cannot serve them at its default security level)' },
  { name: 'in-cluster', key: 'inCluster', kind: 'bool', usage: 'Use in-cluster authentication and certificate request API', note: 'an explicit true is refused (the CSR API no longer signs); when absent, irsa webhook reads --tls-cert/--tls-key as with --in-cluster=false' },
  { name: 'service-name', key: 'serviceName', kind: 'string', usage: '(in-cluster) The service name fronting this webhook (accepted, unused)' },
  { name: 'namespace', key: 'namespace', kind: 'string', usage: '(in-cluster) The namespace of the pod-identity-webhook ConfigMap (--watch-config-map)' },
  { name: 'tls-secret', key: 'tlsSecret', kind: 'string', usage: '(in-cluster) The secret name for storing the TLS serving cert (accepted, unused)' },
  ...MUTATION_FLAGS.slice(0, POD_IDENTITY_FLAGS_START).map(pflagSpec),
  { name: 'watch-config-map', key: 'watchConfigMap', kind: 'bool', usage: 'Enables watching serviceaccounts that are configured through the pod-identity-webhook configmap' },
  { name: 'compose-role-arn', key: 'composeRoleArn', kind: 'bool', usage: 'If true, then the role name and path can be used instead of the full arn (account and partition from EC2 IMDS)' },
  ...MUTATION_FLAGS.slice(POD_IDENTITY_FLAGS_START).map(pflagSpec),
  { name: 'version', key: 'version', kind: 'bool', usage: 'Display the version and exit' },
  { name: 'enable-debugging-handlers', key: 'enableDebuggingHandlers', kind: 'bool', usage: 'Enable debugging handlers on the metrics port (/debug/alpha/cache) and the TLS port (/debug/alpha/deny, /debug/alpha/500)' },
  { name: 'service-account-lookup-grace-period', key: 'serviceAccountLookupGracePeriodMs', kind: 'duration', usage: 'How long to wait (watch + direct GET) for a ServiceAccount not in the cache; 0 = no wait', note: 'upstream\'s default is 0 (no wait: pods created right after their ServiceAccount get no credentials)' },
  { name: 'resync-period', key: 'resyncPeriodMs', kind: 'duration', usage: 'Informer resync period (accepted; freshness comes from the watch and relists)' },
  { name: 'service-accounts', key: 'serviceAccounts', kind: 'string', usage: 'Offline: ServiceAccount manifests (file or directory, watched) instead of the Kubernetes API', addition: true },
  { name: 'config-map', key: 'configMap', kind: 'string', usage: 'Offline: the pod-identity-webhook ConfigMap, a manifest or its data.config JSON alone (file, watched)', addition: true },
  { name: 'log-format', key: 'logFormat', kind: 'string', usage: 'json or text (default: text on a terminal, else json)', addition: true },
  { name: 'max-connections', key: 'maxConnections', kind: 'int', usage: 'Concurrent TCP connections to the webhook port; more are closed at once (sized for the 256Mi memory limit)', addition: true },
  { name: 'idle-timeout', key: 'idleTimeoutMs', kind: 'duration', usage: 'Close keep-alive HTTP/1.1 connections and HTTP/2 sessions idle this long', addition: true },
  { name: 'workers', key: 'workers', kind: 'int', usage: 'Processes serving admissions on the shared port (0 = the cgroup CPU limit rounded down, at least 1, at most the CPUs available; 1 = a single process)', addition: true },
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
