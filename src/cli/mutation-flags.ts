/**
 * The commander adapter of the mutation-flag table (`mutation-flag-table.ts`) for the commands that mutate pods
 * offline (`irsa inject`, `irsa exec`, `irsa doctor`), and the injector they configure: ServiceAccounts from
 * manifests, the `pod-identity-webhook` ConfigMap and the Pod Identity config in a `MemoryIdentityStore`, resolved
 * and applied exactly as the webhook does.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadServiceAccountFiles, ManifestError, podServiceAccount, type ServiceAccountInfo } from '../kube/index.js';
import { GoParseError, UsageError } from '../lib/errors.js';
import { parseGoIntBase0, tryParseGoBool } from '../lib/go-parse.js';
import { isRecord } from '../lib/is-record.js';
import { CONFIG_MAP_KEY, CONFIG_MAP_NAME, type MutationSettings } from '../webhook/constants.js';
import {
  applyJsonPatch,
  MemoryIdentityStore,
  mutatePod,
  parseConfigMapFile,
  parseContainerCredentialsConfig,
  resolveIdentity,
  type ConfigMapEntries,
  type ContainerCredentialsIdentities,
  type JsonPatchOperation,
  type ResolvedIdentity,
} from '../webhook/index.js';
import { MAX_JSON_DEPTH, valueDepthExceeds } from '../webhook/json-depth.js';
import type { CliContext } from './context.js';
import { defaultMutationFlags, MUTATION_FLAGS, mutationSettingsOf, type MutationFlags } from './mutation-flag-table.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/**
 * What commander gives the action for the options {@link addMutationOptions} adds: each mutation flag as given
 * (a string; `true` for a bare `--sts-regional-endpoint`), and the offline sources.
 */
export type MutationFlagValues = { [K in keyof MutationFlags]: string | boolean } & {
  serviceAccounts?: string[];
  configMap?: string;
  namespace?: string;
};

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

/**
 * Adds the webhook's mutation flags (the shared table: same names, defaults and help text as `irsa webhook`), plus
 * `--service-accounts FILE|DIR` (repeatable), `--config-map FILE` and `--namespace NS` (the namespace of objects
 * that set none; default `default`).
 * @example
 * addMutationOptions(program.command('inject')).action(async (opts) => { const injector = await loadInjector(opts, ctx); });
 */
export function addMutationOptions(command: Command): Command {
  const defaults = defaultMutationFlags();
  for (const flag of MUTATION_FLAGS) {
    // A bool's value is optional (`--sts-regional-endpoint`, `--sts-regional-endpoint=false`), as with pflag.
    const value = flag.kind === 'bool' ? `[${flag.valueName}]` : `<${flag.valueName}>`;
    command.option(`--${flag.name} ${value}`, flag.usage, String(defaults[flag.key]));
  }
  return command
    .option('--service-accounts <file|dir>', 'ServiceAccount manifests (file or directory; repeatable)', collect)
    .option('--config-map <file>', `the ${CONFIG_MAP_NAME} ConfigMap, a manifest or its data.${CONFIG_MAP_KEY} JSON alone ({"ns/sa": {"RoleARN": ...}})`)
    .option('--namespace <ns>', 'namespace of objects that set none (default "default")');
}

/**
 * Parses the mutation flags' values with Go's rules for their kind; throws {@link UsageError} naming the flag and
 * the fix for a bad value.
 * @example
 * mutationFlagsFromOptions({ ...opts, tokenExpiration: '0x1c20' }).tokenExpiration // 7200
 */
export function mutationFlagsFromOptions(opts: MutationFlagValues): MutationFlags {
  const flags = defaultMutationFlags() as unknown as Record<string, unknown>;
  for (const flag of MUTATION_FLAGS) {
    const raw = opts[flag.key];
    if (typeof raw === 'boolean' || flag.kind === 'string') {
      flags[flag.key] = raw;
      continue;
    }
    const bad = (detail: string): UsageError => new UsageError(`--${flag.name} ${JSON.stringify(raw)}: ${flag.fix ?? 'invalid value'} (${detail})`);
    if (flag.kind === 'int') {
      try {
        flags[flag.key] = parseGoIntBase0(raw);
      } catch (err) {
        if (!(err instanceof GoParseError)) throw err;
        throw bad(err.message);
      }
    } else {
      const b = tryParseGoBool(raw);
      if (b === undefined) throw bad(`strconv.ParseBool: parsing ${JSON.stringify(raw)}: invalid syntax`);
      flags[flag.key] = b;
    }
  }
  return flags as unknown as MutationFlags;
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
  /** The ServiceAccounts (`--service-accounts`), ConfigMap and Pod Identity config the flags named. */
  store: MemoryIdentityStore;
  /** The ServiceAccounts in `store`. */
  readonly serviceAccounts: readonly ServiceAccountInfo[];
  /** Warnings found while loading (e.g. skipped ConfigMap keys). */
  loadWarnings: string[];
  /**
   * Resolves the pod's identity (namespace: the pod's, else `defaultNamespace`; SA: `spec.serviceAccountName`, else
   * `spec.serviceAccount`, else `default`) from `extraServiceAccounts` (first), then the store (the `--service-accounts`
   * files, the ConfigMap and the Pod Identity config), and applies the webhook's patch.
   */
  mutatePodObject(pod: Record<string, unknown>, defaultNamespace: string, extraServiceAccounts?: readonly ServiceAccountInfo[]): MutatePodObjectResult;
}

/** `--namespace`: the namespace of objects that set none, `default` when the flag is absent or empty. */
export function namespaceFlag(opts: Pick<MutationFlagValues, 'namespace'>): string {
  return opts.namespace !== undefined && opts.namespace !== '' ? opts.namespace : 'default';
}

/**
 * Loads everything the flags name (ServiceAccount manifests, ConfigMap, Pod Identity config) into a
 * `MemoryIdentityStore` and returns an {@link Injector}. Bad files or values throw {@link UsageError},
 * `ManifestError` or `ConfigMapConfigError` (exit 2) naming the file and field.
 * @example
 * const injector = await loadInjector(opts, ctx);
 * const { pod, warnings } = injector.mutatePodObject(podManifest, 'default');
 */
export async function loadInjector(opts: MutationFlagValues, ctx: CliContext, random: () => number = Math.random): Promise<Injector> {
  const settings = mutationSettingsOf(mutationFlagsFromOptions(opts));
  const defaultNamespace = namespaceFlag(opts);
  const loadWarnings: string[] = [];
  const serviceAccounts: ServiceAccountInfo[] = [];
  for (const path of opts.serviceAccounts ?? []) {
    serviceAccounts.push(...(await loadServiceAccountFiles(resolve(ctx.cwd, path), settings.annotationPrefix, { defaultNamespace })));
  }
  let configMap: ConfigMapEntries | undefined;
  if (opts.configMap !== undefined) {
    const text = await readFlagFile('--config-map', opts.configMap, ctx);
    const parsed = parseConfigMapFile(text, opts.configMap);
    configMap = parsed.entries;
    loadWarnings.push(...parsed.warnings);
  }
  let containerCredentials: ContainerCredentialsIdentities | undefined;
  const ccFile = String(opts.watchContainerCredentialsConfig);
  if (ccFile !== '') {
    // Upstream treats a missing file as empty (Pod Identity off); an explicit offline flag deserves an error.
    const content = await readFlagFile('--watch-container-credentials-config', ccFile, ctx);
    try {
      containerCredentials = parseContainerCredentialsConfig(content);
    } catch (err) {
      throw new UsageError(`--watch-container-credentials-config ${ccFile}: ${(err as Error).message}`, { cause: err });
    }
  }
  const store = new MemoryIdentityStore({ serviceAccounts, configMap, containerCredentials, annotationPrefix: settings.annotationPrefix, dumpSettings: settings });

  return {
    settings,
    store,
    get serviceAccounts() {
      return [...store.serviceAccounts()];
    },
    loadWarnings,
    mutatePodObject(pod, podDefaultNamespace, extraServiceAccounts = []) {
      const { namespace, name: saName } = podServiceAccount(pod, podDefaultNamespace);
      let serviceAccount: ServiceAccountInfo | undefined;
      for (const sa of extraServiceAccounts) if (sa.namespace === namespace && sa.name === saName) serviceAccount = sa;
      serviceAccount ??= store.get(namespace, saName);
      const identity = resolveIdentity({
        namespace,
        serviceAccountName: saName,
        serviceAccount,
        configMap: store.configMapEntries(),
        containerCredentials: store.containerCredentials(),
        options: settings,
      });
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

async function readFlagFile(flag: string, shown: string, ctx: CliContext): Promise<string> {
  try {
    return await readFile(resolve(ctx.cwd, shown), 'utf8');
  } catch (err) {
    throw new UsageError(`${flag} ${shown}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

