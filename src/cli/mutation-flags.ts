/**
 * The EKS webhook's mutation flags (same names, defaults and Go-style values) for commands that mutate pods offline
 * (`irsa inject`, `irsa exec`), and the injector they configure: ServiceAccounts from manifests, the
 * `pod-identity-webhook` ConfigMap and the Pod Identity config, resolved and applied exactly as the webhook does.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { documentValue, loadServiceAccountFiles, ManifestError, parseManifests, type ServiceAccountInfo } from '../kube/index.js';
import { GoParseError, UsageError } from '../lib/errors.js';
import { parseGoBool, parseGoIntBase0 } from '../lib/go-parse.js';
import { CONFIG_MAP_KEY, CONFIG_MAP_NAME, defaultMutationSettings, type MutationSettings } from '../webhook/constants.js';
import {
  applyJsonPatch,
  clampTokenExpiration,
  mutatePod,
  parseConfigMapConfig,
  parseContainerCredentialsConfig,
  resolveIdentity,
  type ConfigMapEntries,
  type ContainerCredentialsIdentities,
  type JsonPatchOperation,
  type ResolvedIdentity,
} from '../webhook/index.js';
import { MAX_JSON_DEPTH, valueDepthExceeds } from '../webhook/json-depth.js';
import type { CliContext } from './context.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** What commander gives the action for the options {@link addMutationOptions} adds. */
export interface MutationFlagValues {
  annotationPrefix: string;
  tokenAudience: string;
  tokenExpiration: string;
  tokenMountPath: string;
  awsDefaultRegion: string;
  stsRegionalEndpoint: string | boolean;
  watchContainerCredentialsConfig: string;
  containerCredentialsAudience: string;
  containerCredentialsTokenMountPath: string;
  containerCredentialsTokenVolumeName: string;
  containerCredentialsTokenPath: string;
  containerCredentialsFullUri: string;
  serviceAccounts?: string[];
  configMap?: string;
  namespace?: string;
}

/**
 * Adds the webhook's mutation flags plus `--service-accounts FILE|DIR` (repeatable), `--config-map FILE` and
 * `--namespace NS` (the namespace of objects that set none; default `default`).
 * @example
 * addMutationOptions(program.command('inject')).action(async (opts) => { const injector = await loadInjector(opts, ctx); });
 */
/**
 * Refuses a manifest document nested deeper than the webhook accepts (exit 2), before anything recursive
 * (mutation, copy, YAML output) walks it.
 * @example
 * checkManifestDepth(documentValue(doc), doc.source, doc.index);
 */
export function checkManifestDepth(value: unknown, source: string, index: number): void {
  if (valueDepthExceeds(value, MAX_JSON_DEPTH)) {
    throw new ManifestError(source, index, `nests arrays/objects deeper than ${MAX_JSON_DEPTH} levels: irsa refuses manifests nested deeper than ${MAX_JSON_DEPTH} (as the webhook does); a Pod needs fewer than 20`);
  }
}

export function addMutationOptions(command: Command): Command {
  const d = defaultMutationSettings();
  return command
    .option('--annotation-prefix <prefix>', 'prefix of the ServiceAccount and pod annotations', d.annotationPrefix)
    .option('--token-audience <aud>', 'audience of the projected token (web identity)', d.tokenAudience)
    .option('--token-expiration <seconds>', 'expirationSeconds of the projected token (at least 600)', String(d.tokenExpiration))
    .option('--token-mount-path <path>', 'mount path of the web identity token volume', d.tokenMountPath)
    .option('--aws-default-region <region>', 'inject AWS_DEFAULT_REGION and AWS_REGION with this value', d.awsDefaultRegion)
    .option('--sts-regional-endpoint [bool]', 'inject AWS_STS_REGIONAL_ENDPOINTS=regional (Go bool: --sts-regional-endpoint=false)', 'false')
    .option('--watch-container-credentials-config <file>', 'EKS Pod Identity config file ({"identities":[{"namespace","serviceAccount"}]})', '')
    .option('--container-credentials-audience <aud>', 'audience of the Pod Identity token', d.containerCredentialsAudience)
    .option('--container-credentials-token-mount-path <path>', 'mount path of the Pod Identity token volume', d.containerCredentialsTokenMountPath)
    .option('--container-credentials-token-volume-name <name>', 'name of the Pod Identity token volume', d.containerCredentialsTokenVolumeName)
    .option('--container-credentials-token-path <path>', 'file name of the Pod Identity token in its volume', d.containerCredentialsTokenPath)
    .option('--container-credentials-full-uri <uri>', 'value of AWS_CONTAINER_CREDENTIALS_FULL_URI', d.containerCredentialsFullUri)
    .option('--service-accounts <file|dir>', 'ServiceAccount manifests (file or directory; repeatable)', collect)
    .option('--config-map <file>', `the ${CONFIG_MAP_NAME} ConfigMap manifest (data.${CONFIG_MAP_KEY}: {"ns/sa": {"RoleARN": ...}})`)
    .option('--namespace <ns>', 'namespace of objects that set none (default "default")');
}

/** Turns the flag values into {@link MutationSettings}; throws {@link UsageError} naming the flag for a bad value. */
export function mutationSettingsFromFlags(opts: MutationFlagValues): MutationSettings {
  const settings = defaultMutationSettings();
  settings.annotationPrefix = opts.annotationPrefix;
  settings.tokenAudience = opts.tokenAudience;
  try {
    settings.tokenExpiration = parseGoIntBase0(opts.tokenExpiration);
  } catch (err) {
    if (!(err instanceof GoParseError)) throw err;
    throw new UsageError(`--token-expiration ${JSON.stringify(opts.tokenExpiration)}: use a whole number of seconds, e.g. 3600 (${err.message})`);
  }
  settings.tokenExpiration = clampTokenExpiration(settings.tokenExpiration);
  settings.tokenMountPath = opts.tokenMountPath;
  settings.awsDefaultRegion = opts.awsDefaultRegion;
  const sts = opts.stsRegionalEndpoint;
  if (typeof sts === 'boolean') settings.stsRegionalEndpoint = sts;
  else {
    try {
      settings.stsRegionalEndpoint = parseGoBool(sts);
    } catch {
      throw new UsageError(`--sts-regional-endpoint ${JSON.stringify(sts)}: use true or false (Go bool: 1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False)`);
    }
  }
  settings.containerCredentialsAudience = opts.containerCredentialsAudience;
  settings.containerCredentialsTokenMountPath = opts.containerCredentialsTokenMountPath;
  settings.containerCredentialsTokenVolumeName = opts.containerCredentialsTokenVolumeName;
  settings.containerCredentialsTokenPath = opts.containerCredentialsTokenPath;
  settings.containerCredentialsFullUri = opts.containerCredentialsFullUri;
  return settings;
}

/** The result of mutating one pod object. */
export interface MutatePodObjectResult {
  /** The mutated pod (a copy; the input is not modified). */
  pod: Record<string, unknown>;
  /** The webhook's JSON Patch ([] when the pod is not mutated). */
  patch: JsonPatchOperation[];
  /** Warnings of the mutation, and why a pod was not mutated. */
  warnings: string[];
  /** The identity it was mutated with. */
  identity: ResolvedIdentity | undefined;
}

/** Mutates pods with the settings and identity sources loaded from the flags. */
export interface Injector {
  settings: MutationSettings;
  serviceAccounts: readonly ServiceAccountInfo[];
  configMap: ConfigMapEntries | undefined;
  containerCredentials: ContainerCredentialsIdentities | undefined;
  /** Warnings found while loading (e.g. skipped ConfigMap keys). */
  loadWarnings: string[];
  /**
   * Resolves the pod's identity (namespace: the pod's, else `defaultNamespace`; SA: `spec.serviceAccountName`, else
   * `spec.serviceAccount`, else `default`) from `extraServiceAccounts` (first), the `--service-accounts` files, the
   * ConfigMap and the Pod Identity config, and applies the webhook's patch.
   */
  mutatePodObject(pod: Record<string, unknown>, defaultNamespace: string, extraServiceAccounts?: readonly ServiceAccountInfo[]): MutatePodObjectResult;
}

/**
 * Loads everything the flags name (ServiceAccount manifests, ConfigMap, Pod Identity config) and returns an
 * {@link Injector}. Bad files or values throw {@link UsageError} / `ManifestError` (exit 2) naming the file and field.
 * @example
 * const injector = await loadInjector(opts, ctx);
 * const { pod, warnings } = injector.mutatePodObject(podManifest, 'default');
 */
export async function loadInjector(opts: MutationFlagValues, ctx: CliContext, random: () => number = Math.random): Promise<Injector> {
  const settings = mutationSettingsFromFlags(opts);
  const defaultNamespace = opts.namespace !== undefined && opts.namespace !== '' ? opts.namespace : 'default';
  const loadWarnings: string[] = [];
  const serviceAccounts: ServiceAccountInfo[] = [];
  for (const path of opts.serviceAccounts ?? []) {
    serviceAccounts.push(...(await loadServiceAccountFiles(resolve(ctx.cwd, path), settings.annotationPrefix, { defaultNamespace })));
  }
  let configMap: ConfigMapEntries | undefined;
  if (opts.configMap !== undefined) {
    const parsed = await readConfigMap(resolve(ctx.cwd, opts.configMap), opts.configMap);
    configMap = parsed.entries;
    for (const e of parsed.errors) loadWarnings.push(`${opts.configMap}: data.${CONFIG_MAP_KEY}: ${e}`);
  }
  let containerCredentials: ContainerCredentialsIdentities | undefined;
  const ccFile = opts.watchContainerCredentialsConfig;
  if (ccFile !== '') {
    let content: string;
    try {
      content = await readFile(resolve(ctx.cwd, ccFile), 'utf8');
    } catch (err) {
      // Upstream treats a missing file as empty (Pod Identity off); an explicit offline flag deserves an error.
      throw new UsageError(`--watch-container-credentials-config ${ccFile}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    try {
      containerCredentials = parseContainerCredentialsConfig(content);
    } catch (err) {
      throw new UsageError(`--watch-container-credentials-config ${ccFile}: ${(err as Error).message}`, { cause: err });
    }
  }
  const bySa = new Map<string, ServiceAccountInfo>();
  for (const sa of serviceAccounts) bySa.set(`${sa.namespace}/${sa.name}`, sa);

  return {
    settings,
    serviceAccounts,
    configMap,
    containerCredentials,
    loadWarnings,
    mutatePodObject(pod, podDefaultNamespace, extraServiceAccounts = []) {
      const metadata = isRecord(pod.metadata) ? pod.metadata : {};
      const spec = isRecord(pod.spec) ? pod.spec : {};
      const namespace = typeof metadata.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : podDefaultNamespace;
      const saName = nonEmpty(spec.serviceAccountName) ?? nonEmpty(spec.serviceAccount) ?? 'default';
      let serviceAccount: ServiceAccountInfo | undefined;
      for (const sa of extraServiceAccounts) if (sa.namespace === namespace && sa.name === saName) serviceAccount = sa;
      serviceAccount ??= bySa.get(`${namespace}/${saName}`);
      const identity = resolveIdentity({ namespace, serviceAccountName: saName, serviceAccount, configMap, containerCredentials, options: settings });
      if (identity === undefined) {
        const why = serviceAccount === undefined
          ? `ServiceAccount ${namespace}/${saName} is not in the input, --service-accounts, --config-map or the Pod Identity config; not mutated`
          : `ServiceAccount ${namespace}/${saName} has no ${settings.annotationPrefix}/role-arn annotation (nor a ConfigMap or Pod Identity entry); not mutated`;
        return { pod: applyJsonPatch<Record<string, unknown>>(pod, []), patch: [], warnings: [why], identity };
      }
      const { patch, warnings } = mutatePod(pod, identity, settings, random);
      let mutated: Record<string, unknown>;
      try {
        mutated = applyJsonPatch<Record<string, unknown>>(pod, patch);
      } catch {
        // Only a pod whose metadata or spec is missing or not a mapping gets here (e.g. /metadata/labels under a
        // missing metadata, or under `metadata:` left empty, which is null): mappings stand in for them.
        const base: Record<string, unknown> = { metadata: {}, spec: {}, ...pod };
        if (!isRecord(base.metadata)) base.metadata = {};
        if (!isRecord(base.spec)) base.spec = {};
        mutated = applyJsonPatch<Record<string, unknown>>(base, patch);
      }
      return { pod: mutated, patch, warnings, identity };
    },
  };
}

async function readConfigMap(path: string, shown: string): Promise<{ entries: ConfigMapEntries; errors: string[] }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new UsageError(`--config-map ${shown}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const set = parseManifests(text, shown);
  const configMaps = set.documents
    .map((doc) => ({ doc, value: documentValue(doc) }))
    .filter(({ value }) => isRecord(value) && value.kind === 'ConfigMap');
  const named = configMaps.filter(({ value }) => isRecord((value as Record<string, unknown>).metadata) && ((value as { metadata: Record<string, unknown> }).metadata.name === CONFIG_MAP_NAME));
  const chosen = named[0] ?? (configMaps.length === 1 ? configMaps[0] : undefined);
  if (chosen === undefined) {
    throw new ManifestError(shown, undefined, `kind: no ConfigMap named ${CONFIG_MAP_NAME} (found ${configMaps.length} ConfigMaps)`);
  }
  const data = (chosen.value as Record<string, unknown>).data;
  const config = isRecord(data) ? data[CONFIG_MAP_KEY] : undefined;
  if (config === undefined) return { entries: parseConfigMapConfig('{}').entries, errors: [] };
  if (typeof config !== 'string') throw new ManifestError(shown, chosen.doc.index, `data.${CONFIG_MAP_KEY}: must be a string holding JSON`);
  const parsed = parseConfigMapConfig(config);
  if (parsed.syntaxError !== undefined) {
    throw new ManifestError(shown, chosen.doc.index, `data.${CONFIG_MAP_KEY}: ${parsed.errors[0]}`);
  }
  return parsed;
}

function nonEmpty(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
