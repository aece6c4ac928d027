/**
 * Identity resolution, as pure functions: from a pod's ServiceAccount (its prefixed annotations), the
 * `pod-identity-webhook` ConfigMap and the EKS Pod Identity config file to the identity the pod is mutated with,
 * with the EKS webhook's precedence (spec 3.4, 4.2-4.6, 5, 6.2):
 * container credentials (config file lists namespace/SA) > SA `role-arn` annotation > ConfigMap exact `ns/name` >
 * ConfigMap prefix `test-*\/name` (an irsa-kit addition upstream documents but never implemented) > ConfigMap `*\/name`.
 * @module
 */
import type { ServiceAccountInfo } from '../kube/service-account.js';
import { tryParseGoBool, tryParseGoInt } from '../lib/go-parse.js';
import {
  ANNOTATION_AUDIENCE,
  ANNOTATION_ROLE_ARN,
  ANNOTATION_STS_REGIONAL_ENDPOINTS,
  ANNOTATION_TOKEN_EXPIRATION,
  DEFAULT_TOKEN_EXPIRATION,
  type MutationSettings,
} from './constants.js';
import { ContainerCredentialsConfigError } from './errors.js';
import { formatRoleArn } from '../lib/aws-arn.js';
import { MIN_TOKEN_EXPIRATION_SECONDS, WEB_IDENTITY_TOKEN_PATH, WEB_IDENTITY_VOLUME_NAME } from '../lib/wire-names.js';

/** One entry of upstream's identity cache (spec 4.1): the JSON names of the ConfigMap are `RoleARN`, `Audience`, `UseRegionalSTS`, `TokenExpiration`. */
export interface IdentityEntry {
  /** '' = no role. */
  roleArn: string;
  /** '' = the projected token has no audience (the API server's default). */
  audience: string;
  useRegionalSts: boolean;
  /** Seconds. In a ConfigMap entry 0 means "the `--token-expiration` flag". */
  tokenExpiration: number;
}

/** The flags identity resolution reads. */
export type IdentityOptions = Pick<
  MutationSettings,
  | 'annotationPrefix'
  | 'tokenAudience'
  | 'tokenExpiration'
  | 'tokenMountPath'
  | 'stsRegionalEndpoint'
  | 'composeRoleArn'
  | 'containerCredentialsAudience'
  | 'containerCredentialsTokenMountPath'
  | 'containerCredentialsTokenVolumeName'
  | 'containerCredentialsTokenPath'
  | 'containerCredentialsFullUri'
>;

/** Clamps a token lifetime to the 600 s floor upstream applies to the flag and to annotations (not to ConfigMap values). */
export function clampTokenExpiration(seconds: number): number {
  return seconds < MIN_TOKEN_EXPIRATION_SECONDS ? MIN_TOKEN_EXPIRATION_SECONDS : seconds;
}

/**
 * Upstream's `addSA` (spec 4.2): flags overridden by the SA's prefixed annotations. `role-arn` is used as-is
 * (composed into an ARN with `composeRoleArn` when it contains no `arn:`); unparseable `sts-regional-endpoints`
 * or `token-expiration` annotations are ignored; expirations are clamped to ≥ 600.
 * @example
 * buildServiceAccountEntry({ namespace: 'default', name: 'app', annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::111122223333:role/r' } }, settings);
 * // { roleArn: 'arn:aws:iam::111122223333:role/r', audience: 'sts.amazonaws.com', useRegionalSts: false, tokenExpiration: 86400 }
 */
export function buildServiceAccountEntry(sa: ServiceAccountInfo, options: IdentityOptions): IdentityEntry {
  const prefix = options.annotationPrefix;
  const annotations = sa.annotations ?? {};
  let roleArn = stringOr(annotations[`${prefix}/${ANNOTATION_ROLE_ARN}`], '');
  if (roleArn !== '' && options.composeRoleArn !== undefined && !roleArn.includes('arn:')) {
    roleArn = formatRoleArn(options.composeRoleArn.accountId, roleArn, '/', options.composeRoleArn.partition);
  }
  const audienceAnnotation = annotations[`${prefix}/${ANNOTATION_AUDIENCE}`];
  const audience = typeof audienceAnnotation === 'string' ? audienceAnnotation : options.tokenAudience;
  let useRegionalSts = options.stsRegionalEndpoint;
  const sts = annotations[`${prefix}/${ANNOTATION_STS_REGIONAL_ENDPOINTS}`];
  if (typeof sts === 'string') {
    const parsed = tryParseGoBool(sts);
    if (parsed !== undefined) useRegionalSts = parsed;
  }
  let tokenExpiration = clampTokenExpiration(options.tokenExpiration);
  const exp = annotations[`${prefix}/${ANNOTATION_TOKEN_EXPIRATION}`];
  if (typeof exp === 'string') {
    const parsed = tryParseGoInt(exp);
    if (parsed !== undefined) tokenExpiration = clampTokenExpiration(parsed);
  }
  return { roleArn, audience, useRegionalSts, tokenExpiration };
}

/**
 * The parsed `pod-identity-webhook` ConfigMap (`data.config`): exact `ns/name` keys, `prefix*\/name` keys (longest
 * prefix first) and `*\/name` keys.
 */
export interface ConfigMapEntries {
  readonly exact: ReadonlyMap<string, IdentityEntry>;
  readonly prefixed: ReadonlyArray<{ readonly namespacePrefix: string; readonly name: string; readonly entry: IdentityEntry }>;
  readonly wildcard: ReadonlyMap<string, IdentityEntry>;
}

/** Entry keys as Go's case-insensitive JSON decoder matches them. */
const ENTRY_FIELDS: Record<string, keyof IdentityEntry> = {
  rolearn: 'roleArn',
  audience: 'audience',
  useregionalsts: 'useRegionalSts',
  tokenexpiration: 'tokenExpiration',
};

/**
 * Parses the ConfigMap's `data.config` JSON (spec 4.4). Never throws: invalid JSON gives no entries, one error and
 * `syntaxError` (JSON.parse's message, for callers that keep their previous entries rather than apply none);
 * a key without `/` (which crashes upstream) or an entry of the wrong shape is skipped with an error. Values are
 * verbatim (no audience default, no clamp, `TokenExpiration: 0` = the flag), as upstream.
 * @example
 * parseConfigMapConfig('{"*\/app":{"RoleARN":"arn:aws:iam::111122223333:role/r","Audience":"sts.amazonaws.com"}}').entries.wildcard.get('app')?.roleArn;
 */
export function parseConfigMapConfig(json: string): { entries: ConfigMapEntries; errors: string[]; syntaxError?: string } {
  const exact = new Map<string, IdentityEntry>();
  const wildcard = new Map<string, IdentityEntry>();
  const prefixed: Array<{ namespacePrefix: string; name: string; entry: IdentityEntry }> = [];
  const errors: string[] = [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (err) {
    const syntaxError = (err as Error).message;
    errors.push(`config is not valid JSON: ${syntaxError}`);
    return { entries: { exact, prefixed, wildcard }, errors, syntaxError };
  }
  if (parsed === null) return { entries: { exact, prefixed, wildcard }, errors };
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    errors.push('config must be a JSON object mapping "namespace/serviceaccount" to {"RoleARN", "Audience", "UseRegionalSTS", "TokenExpiration"}');
    return { entries: { exact, prefixed, wildcard }, errors };
  }
  for (const [key, raw] of Object.entries(parsed as Record<string, unknown>)) {
    const slash = key.indexOf('/');
    if (slash < 0) {
      errors.push(`config key ${JSON.stringify(key)}: expected "namespace/serviceaccount" (skipped)`);
      continue;
    }
    const parts = key.split('/');
    const namespace = parts[0]!;
    const name = parts[1]!;
    const entry = parseEntry(raw, key, errors);
    if (entry === undefined) continue;
    if (namespace === '*') wildcard.set(name, entry);
    else if (namespace.length > 1 && namespace.endsWith('*')) {
      prefixed.push({ namespacePrefix: namespace.slice(0, -1), name, entry });
    } else exact.set(`${namespace}/${name}`, entry);
  }
  prefixed.sort((a, b) => b.namespacePrefix.length - a.namespacePrefix.length);
  return { entries: { exact, prefixed, wildcard }, errors };
}

function parseEntry(raw: unknown, key: string, errors: string[]): IdentityEntry | undefined {
  const entry: IdentityEntry = { roleArn: '', audience: '', useRegionalSts: false, tokenExpiration: 0 };
  if (raw === null) return entry;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    errors.push(`config key ${JSON.stringify(key)}: value must be an object (skipped)`);
    return undefined;
  }
  for (const [field, value] of Object.entries(raw as Record<string, unknown>)) {
    const target = ENTRY_FIELDS[field.toLowerCase()];
    if (target === undefined || value === null) continue;
    if (target === 'roleArn' || target === 'audience') {
      if (typeof value !== 'string') return badField(key, field, 'a string', errors);
      entry[target] = value;
    } else if (target === 'useRegionalSts') {
      if (typeof value !== 'boolean') return badField(key, field, 'true or false', errors);
      entry.useRegionalSts = value;
    } else {
      if (typeof value !== 'number' || !Number.isInteger(value)) return badField(key, field, 'an integer', errors);
      entry.tokenExpiration = value;
    }
  }
  return entry;
}

function badField(key: string, field: string, want: string, errors: string[]): undefined {
  errors.push(`config key ${JSON.stringify(key)}: ${field} must be ${want} (skipped)`);
  return undefined;
}

/** The namespace/ServiceAccount pairs listed in the EKS Pod Identity config file (keys `namespace/serviceAccount`). */
export interface ContainerCredentialsIdentities {
  readonly identities: ReadonlySet<string>;
}

/**
 * Parses the Pod Identity config file `{"identities":[{"namespace":"ns","serviceAccount":"sa"}]}` (spec 5).
 * Empty (or blank) content ⇒ no identities. Invalid JSON or a wrong shape ⇒ throws
 * {@link ContainerCredentialsConfigError}, so a watcher keeps its last good set.
 * @example
 * parseContainerCredentialsConfig('{"identities":[{"namespace":"default","serviceAccount":"app"}]}').identities.has('default/app'); // true
 */
export function parseContainerCredentialsConfig(content: string): ContainerCredentialsIdentities {
  const identities = new Set<string>();
  if (content.trim() === '') return { identities };
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch (err) {
    throw new ContainerCredentialsConfigError(`Pod Identity config is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (parsed === null) return { identities };
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ContainerCredentialsConfigError('Pod Identity config must be a JSON object like {"identities":[{"namespace":"ns","serviceAccount":"sa"}]}');
  }
  let list: unknown;
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) if (k.toLowerCase() === 'identities') list = v;
  if (list === undefined || list === null) return { identities };
  if (!Array.isArray(list)) throw new ContainerCredentialsConfigError('Pod Identity config: "identities" must be an array');
  list.forEach((item, i) => {
    if (item === null) return;
    if (typeof item !== 'object' || Array.isArray(item)) {
      throw new ContainerCredentialsConfigError(`Pod Identity config: identities[${i}] must be an object with "namespace" and "serviceAccount"`);
    }
    let namespace = '';
    let serviceAccount = '';
    for (const [k, v] of Object.entries(item as Record<string, unknown>)) {
      const lower = k.toLowerCase();
      if (lower !== 'namespace' && lower !== 'serviceaccount') continue;
      if (v === null) continue;
      if (typeof v !== 'string') throw new ContainerCredentialsConfigError(`Pod Identity config: identities[${i}].${k} must be a string`);
      if (lower === 'namespace') namespace = v;
      else serviceAccount = v;
    }
    identities.add(`${namespace}/${serviceAccount}`);
  });
  return { identities };
}

/** How the identity was found (for logs, metrics and `irsa doctor`). */
export type IdentitySource =
  | 'container-credentials'
  | 'service-account'
  | 'config-map'
  | 'config-map-prefix'
  | 'config-map-wildcard';

/** What a pod is mutated with: everything `mutatePod` needs besides the pod's own annotations and the region flag. */
export interface ResolvedIdentity {
  mode: 'web-identity' | 'container-credentials';
  source: IdentitySource;
  /** Web identity: the role ARN ('' in container-credentials mode). */
  roleArn: string;
  /** Container credentials: `AWS_CONTAINER_CREDENTIALS_FULL_URI` ('' in web-identity mode). */
  fullUri: string;
  /** Projected token audience ('' ⇒ omitted). */
  audience: string;
  useRegionalSts: boolean;
  /** Seconds, before the pod annotation override and the container-credentials jitter (applied by `mutatePod`). */
  tokenExpiration: number;
  volumeName: string;
  mountPath: string;
  tokenPath: string;
}

/** Everything known about a pod's identity, gathered before resolution (SA store, ConfigMap, Pod Identity config). */
export interface ResolveIdentityInput {
  /** The admission request's namespace (it overrides the pod's own). */
  namespace: string;
  /** `spec.serviceAccountName` ('' never matches). */
  serviceAccountName: string;
  /** The ServiceAccount, when known; its entry is built with `options`. */
  serviceAccount?: ServiceAccountInfo | undefined;
  /** Or its prebuilt entry (from {@link buildServiceAccountEntry}); wins over `serviceAccount` when both are given. */
  serviceAccountEntry?: IdentityEntry | undefined;
  configMap?: ConfigMapEntries | undefined;
  containerCredentials?: ContainerCredentialsIdentities | undefined;
  options: IdentityOptions;
}

/**
 * Resolves a pod's identity with upstream's precedence (spec 4.3, 4.6, 6.2); `undefined` = no mutation.
 * Container-credentials mode takes STS/expiration from the SA entry if the SA is known, else from an exact ConfigMap
 * entry, else `(false, 86400)` — regardless of the flags, as upstream.
 * @example
 * const identity = resolveIdentity({ namespace: 'default', serviceAccountName: 'app', serviceAccount: sa, options: settings });
 * if (identity) mutatePod(pod, identity, settings);
 */
export function resolveIdentity(input: ResolveIdentityInput): ResolvedIdentity | undefined {
  const { namespace, serviceAccountName: name, options } = input;
  if (name === '') return undefined;
  const key = `${namespace}/${name}`;
  const saEntry = input.serviceAccountEntry ?? (input.serviceAccount !== undefined ? buildServiceAccountEntry(input.serviceAccount, options) : undefined);
  const flagExpiration = clampTokenExpiration(options.tokenExpiration);

  if (input.containerCredentials !== undefined && input.containerCredentials.identities.has(key)) {
    let useRegionalSts = false;
    let tokenExpiration = DEFAULT_TOKEN_EXPIRATION;
    if (saEntry !== undefined) {
      useRegionalSts = saEntry.useRegionalSts;
      tokenExpiration = saEntry.tokenExpiration;
    } else {
      const cm = input.configMap?.exact.get(key);
      if (cm !== undefined) {
        useRegionalSts = cm.useRegionalSts;
        tokenExpiration = cm.tokenExpiration === 0 ? flagExpiration : cm.tokenExpiration;
      }
    }
    return {
      mode: 'container-credentials',
      source: 'container-credentials',
      roleArn: '',
      fullUri: options.containerCredentialsFullUri,
      audience: options.containerCredentialsAudience,
      useRegionalSts,
      tokenExpiration,
      volumeName: options.containerCredentialsTokenVolumeName,
      mountPath: options.containerCredentialsTokenMountPath,
      tokenPath: options.containerCredentialsTokenPath,
    };
  }

  let entry: IdentityEntry | undefined;
  let source: IdentitySource = 'service-account';
  if (saEntry !== undefined && saEntry.roleArn !== '') entry = saEntry;
  else if (input.configMap !== undefined) {
    const found = lookupConfigMap(input.configMap, namespace, name);
    if (found !== undefined) {
      entry = found.entry;
      source = found.source;
    }
  }
  if (entry === undefined || entry.roleArn === '') return undefined;
  return {
    mode: 'web-identity',
    source,
    roleArn: entry.roleArn,
    fullUri: '',
    audience: entry.audience,
    useRegionalSts: entry.useRegionalSts,
    tokenExpiration: source === 'service-account' || entry.tokenExpiration !== 0 ? entry.tokenExpiration : flagExpiration,
    volumeName: WEB_IDENTITY_VOLUME_NAME,
    mountPath: options.tokenMountPath,
    tokenPath: WEB_IDENTITY_TOKEN_PATH,
  };
}

/**
 * Finds a ConfigMap entry: exact `ns/name`, else the longest matching `prefix*\/name`, else `*\/name`.
 * @example
 * lookupConfigMap(entries, 'test-a', 'app')?.source; // 'config-map-prefix' for a key "test-*\/app"
 */
export function lookupConfigMap(
  entries: ConfigMapEntries,
  namespace: string,
  name: string,
): { entry: IdentityEntry; source: IdentitySource } | undefined {
  const exact = entries.exact.get(`${namespace}/${name}`);
  if (exact !== undefined) return { entry: exact, source: 'config-map' };
  for (const p of entries.prefixed) {
    if (p.name === name && namespace.startsWith(p.namespacePrefix)) return { entry: p.entry, source: 'config-map-prefix' };
  }
  const wild = entries.wildcard.get(name);
  if (wild !== undefined) return { entry: wild, source: 'config-map-wildcard' };
  return undefined;
}

function stringOr(v: unknown, fallback: string): string {
  return typeof v === 'string' ? v : fallback;
}
