/**
 * Wire names of the pod identity webhook, defined once: annotation names (joined to `--annotation-prefix`),
 * the Pod Identity label, volume names, mount paths, audiences, environment variable names, and the defaults of
 * the EKS webhook's flags (spec section 2). Names other areas share too (the environment variables, the IRSA
 * audience, volume and mount path, the 600 s floor) live in lib/wire-names.ts.
 * @module
 */
import { parseRoleArn } from '../lib/aws-arn.js';
import { DEFAULT_TOKEN_MOUNT_PATH, EKS_POD_IDENTITY_SERVICE, STS_AUDIENCE } from '../lib/wire-names.js';

/** Default `--annotation-prefix`. */
export const DEFAULT_ANNOTATION_PREFIX = 'eks.amazonaws.com';

/** Annotation names below the prefix (`<prefix>/<name>`). */
export const ANNOTATION_ROLE_ARN = 'role-arn';
export const ANNOTATION_AUDIENCE = 'audience';
export const ANNOTATION_STS_REGIONAL_ENDPOINTS = 'sts-regional-endpoints';
export const ANNOTATION_TOKEN_EXPIRATION = 'token-expiration';
export const ANNOTATION_SKIP_CONTAINERS = 'skip-containers';

/** Label added in container-credentials mode; hard-coded upstream, independent of the prefix. */
export const POD_IDENTITY_LABEL = 'eks.amazonaws.com/pod-identity';
export const POD_IDENTITY_LABEL_VALUE = 'enabled';
/** The same label key escaped as a JSON Pointer segment. */
export const POD_IDENTITY_LABEL_POINTER = '/metadata/labels/eks.amazonaws.com~1pod-identity';

/** Token lifetime: default and the container-credentials jitter window (the 600 s floor is in lib/wire-names.ts). */
export const DEFAULT_TOKEN_EXPIRATION = 86400;
export const JITTER_MIN_TOKEN_EXPIRATION = 79200;

/** Container-credentials (EKS Pod Identity) defaults. */
export const DEFAULT_CONTAINER_CREDENTIALS_TOKEN_MOUNT_PATH = '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount';
export const DEFAULT_CONTAINER_CREDENTIALS_TOKEN_VOLUME_NAME = 'eks-pod-identity-token';
export const DEFAULT_CONTAINER_CREDENTIALS_TOKEN_PATH = 'eks-pod-identity-token';
export const DEFAULT_CONTAINER_CREDENTIALS_FULL_URI = 'http://169.254.170.23/v1/credentials';

/** nodeSelector keys whose value `windows` switches token paths to `C:\...`. */
export const NODE_SELECTOR_OS = 'kubernetes.io/os';
export const NODE_SELECTOR_BETA_OS = 'beta.kubernetes.io/os';
export const WINDOWS = 'windows';

/** The ConfigMap read by `--watch-config-map` and its data key. */
export const CONFIG_MAP_NAME = 'pod-identity-webhook';
export const CONFIG_MAP_KEY = 'config';

/** Whether a role annotation is an IAM role ARN (upstream only warns when not); the rule's home is lib/aws-arn.ts. */
export function isRoleArn(value: string): boolean {
  return parseRoleArn(value) !== undefined;
}

/** Every flag the mutation reads, with the EKS webhook's names (camelCased) and meanings. */
export interface MutationSettings {
  /** `--annotation-prefix` */
  annotationPrefix: string;
  /** `--token-audience` */
  tokenAudience: string;
  /** `--token-expiration` (seconds; values below 600 are raised to 600 where used) */
  tokenExpiration: number;
  /** `--token-mount-path` */
  tokenMountPath: string;
  /** `--aws-default-region` ('' = inject no region) */
  awsDefaultRegion: string;
  /** `--sts-regional-endpoint` */
  stsRegionalEndpoint: boolean;
  /** `--compose-role-arn`: account and partition (from IMDS upstream) to compose ARNs from bare role names. */
  composeRoleArn?: { partition: string; accountId: string } | undefined;
  /** `--container-credentials-audience` */
  containerCredentialsAudience: string;
  /** `--container-credentials-token-mount-path` */
  containerCredentialsTokenMountPath: string;
  /** `--container-credentials-token-volume-name` */
  containerCredentialsTokenVolumeName: string;
  /** `--container-credentials-token-path` */
  containerCredentialsTokenPath: string;
  /** `--container-credentials-full-uri` */
  containerCredentialsFullUri: string;
}

/**
 * The EKS webhook's defaults for every mutation flag.
 * @example
 * const settings = { ...defaultMutationSettings(), awsDefaultRegion: 'us-west-2' };
 */
export function defaultMutationSettings(): MutationSettings {
  return {
    annotationPrefix: DEFAULT_ANNOTATION_PREFIX,
    tokenAudience: STS_AUDIENCE,
    tokenExpiration: DEFAULT_TOKEN_EXPIRATION,
    tokenMountPath: DEFAULT_TOKEN_MOUNT_PATH,
    awsDefaultRegion: '',
    stsRegionalEndpoint: false,
    composeRoleArn: undefined,
    containerCredentialsAudience: EKS_POD_IDENTITY_SERVICE,
    containerCredentialsTokenMountPath: DEFAULT_CONTAINER_CREDENTIALS_TOKEN_MOUNT_PATH,
    containerCredentialsTokenVolumeName: DEFAULT_CONTAINER_CREDENTIALS_TOKEN_VOLUME_NAME,
    containerCredentialsTokenPath: DEFAULT_CONTAINER_CREDENTIALS_TOKEN_PATH,
    containerCredentialsFullUri: DEFAULT_CONTAINER_CREDENTIALS_FULL_URI,
  };
}
