/**
 * The EKS webhook's mutation flags, declared once: name, value kind (and so its Go parsing), default and help text.
 * Two thin adapters read this table: the pflag parser of `irsa webhook` (`webhook-flags.ts`) and the commander
 * options of `irsa inject`, `irsa exec` and `irsa doctor` (`mutation-flags.ts`); both map the typed values to
 * {@link MutationSettings} with {@link mutationSettingsOf}, so a flag means the same and reads the same in every
 * command's help.
 * @module
 */
import { defaultMutationSettings, type MutationSettings } from '../webhook/constants.js';
import { MIN_TOKEN_EXPIRATION_SECONDS } from '../lib/wire-names.js';
import { clampTokenExpiration } from '../webhook/identity.js';

/** The mutation flags' typed values; names are the flags' names camelCased. */
export interface MutationFlags {
  annotationPrefix: string;
  tokenAudience: string;
  tokenMountPath: string;
  tokenExpiration: number;
  awsDefaultRegion: string;
  stsRegionalEndpoint: boolean;
  /** The Pod Identity config file ('' = none). */
  watchContainerCredentialsConfig: string;
  containerCredentialsAudience: string;
  containerCredentialsTokenMountPath: string;
  containerCredentialsTokenVolumeName: string;
  containerCredentialsTokenPath: string;
  containerCredentialsFullUri: string;
}

/**
 * One mutation flag. `kind` is its Go type and so its parsing: `int` as Go's `strconv.ParseInt(s, 0, 64)` (base
 * prefixes, underscores), `bool` as `strconv.ParseBool` (1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False).
 */
export interface MutationFlagSpec {
  name: string;
  key: keyof MutationFlags;
  kind: 'string' | 'int' | 'bool';
  /** What the value is, in commander's `<…>` (e.g. `seconds`). */
  valueName: string;
  /** The help text, the same in every command. */
  usage: string;
  /** How to fix a value that does not parse (for the commands whose errors name the fix). */
  fix?: string;
}

/** The table, in upstream's order. */
export const MUTATION_FLAGS: readonly MutationFlagSpec[] = [
  { name: 'annotation-prefix', key: 'annotationPrefix', kind: 'string', valueName: 'prefix', usage: 'The prefix of the ServiceAccount (and pod) annotations to look for' },
  { name: 'token-audience', key: 'tokenAudience', kind: 'string', valueName: 'aud', usage: 'The default audience for tokens. Can be overridden by annotation' },
  { name: 'token-mount-path', key: 'tokenMountPath', kind: 'string', valueName: 'path', usage: 'The path to mount tokens' },
  { name: 'token-expiration', key: 'tokenExpiration', kind: 'int', valueName: 'seconds', usage: `The token expiration (seconds; values below ${MIN_TOKEN_EXPIRATION_SECONDS} become ${MIN_TOKEN_EXPIRATION_SECONDS})`, fix: 'use a whole number of seconds, e.g. 3600' },
  { name: 'aws-default-region', key: 'awsDefaultRegion', kind: 'string', valueName: 'region', usage: 'If set, AWS_DEFAULT_REGION and AWS_REGION will be set to this value in mutated containers' },
  { name: 'sts-regional-endpoint', key: 'stsRegionalEndpoint', kind: 'bool', valueName: 'bool', usage: 'Whether to inject the AWS_STS_REGIONAL_ENDPOINTS=regional env var in mutated pods (off: --sts-regional-endpoint=false)', fix: 'use true or false (Go bool: 1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False)' },
  { name: 'watch-container-credentials-config', key: 'watchContainerCredentialsConfig', kind: 'string', valueName: 'file', usage: 'The EKS Pod Identity config file ({"identities":[{"namespace","serviceAccount"}]}); irsa webhook watches it' },
  { name: 'container-credentials-audience', key: 'containerCredentialsAudience', kind: 'string', valueName: 'aud', usage: 'The audience for tokens used by the container credential provider' },
  { name: 'container-credentials-token-mount-path', key: 'containerCredentialsTokenMountPath', kind: 'string', valueName: 'path', usage: 'The path to mount tokens used by the container credential provider' },
  { name: 'container-credentials-token-volume-name', key: 'containerCredentialsTokenVolumeName', kind: 'string', valueName: 'name', usage: 'The name of the volume holding the container credential provider token' },
  { name: 'container-credentials-token-path', key: 'containerCredentialsTokenPath', kind: 'string', valueName: 'path', usage: 'The path of the container credential provider token inside the volume' },
  { name: 'container-credentials-full-uri', key: 'containerCredentialsFullUri', kind: 'string', valueName: 'uri', usage: 'The value of AWS_CONTAINER_CREDENTIALS_FULL_URI' },
];

/**
 * The flags' defaults: upstream's.
 * @example
 * defaultMutationFlags().tokenExpiration // 86400
 */
export function defaultMutationFlags(): MutationFlags {
  const d = defaultMutationSettings();
  return {
    annotationPrefix: d.annotationPrefix,
    tokenAudience: d.tokenAudience,
    tokenMountPath: d.tokenMountPath,
    tokenExpiration: d.tokenExpiration,
    awsDefaultRegion: d.awsDefaultRegion,
    stsRegionalEndpoint: d.stsRegionalEndpoint,
    watchContainerCredentialsConfig: '',
    containerCredentialsAudience: d.containerCredentialsAudience,
    containerCredentialsTokenMountPath: d.containerCredentialsTokenMountPath,
    containerCredentialsTokenVolumeName: d.containerCredentialsTokenVolumeName,
    containerCredentialsTokenPath: d.containerCredentialsTokenPath,
    containerCredentialsFullUri: d.containerCredentialsFullUri,
  };
}

/**
 * The mutation settings the flags give: their values, `--token-expiration` raised to 600 as upstream does.
 * @example
 * const settings = mutationSettingsOf(parseWebhookFlags(argv).flags);
 */
export function mutationSettingsOf(flags: MutationFlags): MutationSettings {
  return {
    ...defaultMutationSettings(),
    annotationPrefix: flags.annotationPrefix,
    tokenAudience: flags.tokenAudience,
    tokenExpiration: clampTokenExpiration(flags.tokenExpiration),
    tokenMountPath: flags.tokenMountPath,
    awsDefaultRegion: flags.awsDefaultRegion,
    stsRegionalEndpoint: flags.stsRegionalEndpoint,
    containerCredentialsAudience: flags.containerCredentialsAudience,
    containerCredentialsTokenMountPath: flags.containerCredentialsTokenMountPath,
    containerCredentialsTokenVolumeName: flags.containerCredentialsTokenVolumeName,
    containerCredentialsTokenPath: flags.containerCredentialsTokenPath,
    containerCredentialsFullUri: flags.containerCredentialsFullUri,
  };
}
