/**
 * Planning a run of one container of a (mutated) pod outside the cluster, as `irsa exec` and `irsa doctor --pod` do:
 * which container, which projected token files to mint (audience, lifetime) and where they go, the container's
 * environment, and which inherited variables are dropped because they would take precedence over the pod's web
 * identity. Pure: the caller mints, writes and starts.
 * @module
 */
import { FieldError } from '../lib/errors.js';
import {
  ENV_ACCESS_KEY_ID,
  ENV_CONTAINER_AUTHORIZATION_TOKEN,
  ENV_CONTAINER_AUTHORIZATION_TOKEN_FILE,
  ENV_CONTAINER_CREDENTIALS_FULL_URI,
  ENV_CONTAINER_CREDENTIALS_RELATIVE_URI,
  ENV_DEFAULT_PROFILE,
  ENV_ENDPOINT_URL,
  ENV_PROFILE,
  ENV_ROLE_ARN,
  ENV_ROLE_SESSION_NAME,
  ENV_SECRET_ACCESS_KEY,
  ENV_SECURITY_TOKEN,
  ENV_SESSION_TOKEN,
  ENV_WEB_IDENTITY_TOKEN_FILE,
} from '../lib/wire-names.js';
import { DEFAULT_EXPIRATION_SECONDS, MIN_EXPIRATION_SECONDS } from '../oidc/constants.js';
import { ManifestError } from './errors.js';
import { podServiceAccount } from './manifests.js';
import { findContainerTokenFiles, localTokenPath, resolveContainerEnv, tokenPathRewriter, type ContainerSpec, type ContainerTokenFile, type PodSpecLike, type TokenVolumeMount } from './projected-tokens.js';
import type { ServiceAccountInfo } from './service-account.js';

/**
 * Inherited variables a pod never gets from the node, dropped because the SDKs' credential chains would prefer them
 * to the pod's web identity (static keys, profiles, another role or token file, container credentials). Others are
 * kept, `AWS_ENDPOINT_URL` and `AWS_CA_BUNDLE` included (how a local plane is reached).
 */
export const SHADOWING_ENV = [
  ENV_ACCESS_KEY_ID,
  ENV_SECRET_ACCESS_KEY,
  ENV_SESSION_TOKEN,
  ENV_SECURITY_TOKEN,
  ENV_PROFILE,
  ENV_DEFAULT_PROFILE,
  ENV_ROLE_ARN,
  ENV_WEB_IDENTITY_TOKEN_FILE,
  ENV_ROLE_SESSION_NAME,
  ENV_CONTAINER_CREDENTIALS_FULL_URI,
  ENV_CONTAINER_CREDENTIALS_RELATIVE_URI,
  ENV_CONTAINER_AUTHORIZATION_TOKEN,
  ENV_CONTAINER_AUTHORIZATION_TOKEN_FILE,
] as const;

/**
 * Whether a pod already carries the webhook's mutation (so running it must not mutate it again): the container has
 * `AWS_WEB_IDENTITY_TOKEN_FILE` or `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`, or the pod has one of the token
 * volumes (`aws-iam-token`, the Pod Identity volume).
 * @example
 * isPodMutated(pod, undefined, ['aws-iam-token', 'eks-pod-identity-token']) // true for a mutated pod
 */
export function isPodMutated(pod: PodSpecLike, containerName: string | undefined, volumeNames: readonly string[]): boolean {
  const { container } = findContainerTokenFiles(pod, containerName);
  if (container.env?.some((e) => e.name === ENV_WEB_IDENTITY_TOKEN_FILE || e.name === ENV_CONTAINER_AUTHORIZATION_TOKEN_FILE)) return true;
  return (pod.spec?.volumes ?? []).some((v) => volumeNames.includes(v.name));
}

/** Inputs of {@link planPodRun} besides the pod. */
export interface PodRunOptions {
  /** The container to run (default: the `kubectl.kubernetes.io/default-container` annotation, else the first). */
  containerName?: string;
  /** Namespace of a pod whose manifest sets none (default `default`). */
  defaultNamespace?: string;
  /** Known ServiceAccounts: the pod's gives the token's `serviceaccount.uid`. */
  serviceAccounts?: readonly ServiceAccountInfo[];
  /** The environment the command would inherit (the caller's own). */
  env?: Readonly<Record<string, string | undefined>>;
  /** `AWS_ENDPOINT_URL` to set over the inherited one (an http(s) URL, e.g. the local plane). */
  awsEndpoint?: string;
  /**
   * Mint every token with this lifetime instead of the volume's (tests only: below the 600 s minimum, so tokens
   * expire during a run); without it a volume asking for less than 600 s is refused, as the API server refuses it.
   */
  lifetimeSeconds?: number;
}

/** One token file to mint. */
export interface PodRunToken {
  file: ContainerTokenFile;
  /** The `aud` to mint with; undefined means the issuer itself (the API server's default audience). */
  audience: string | undefined;
  expirationSeconds: number;
}

/** What running the container needs, before any file exists. */
export interface PodRunPlan {
  pod: PodSpecLike;
  container: ContainerSpec;
  namespace: string;
  serviceAccountName: string;
  serviceAccountUid: string | undefined;
  /** The pod the tokens are bound to (a manifest often has no uid: the caller picks one). */
  podName: string | undefined;
  podUid: string | undefined;
  nodeName: string | undefined;
  tokens: PodRunToken[];
  /** The mounts of token-carrying volumes (where the container reads them). */
  mounts: TokenVolumeMount[];
  /** The command's environment with paths as the container sees them: inherited minus {@link SHADOWING_ENV}, then the container's env. */
  env: Record<string, string>;
  /** Inherited variables that were set and are not passed on. */
  dropped: string[];
  /** `AWS_ENDPOINT_URL` set over the inherited and the container's. */
  awsEndpoint: string | undefined;
}

/**
 * Plans running one container of a pod: picks the container, checks what the API server would refuse (token volumes,
 * lifetimes under 600 s) and what cannot be resolved outside a cluster (`envFrom`, `secretKeyRef`, …), and builds
 * the environment. Throws {@link FieldError} (`containerName`, `awsEndpoint`) or {@link ManifestError}.
 * @example
 * const plan = planPodRun(pod, { containerName: 'app', env: process.env });
 * plan.tokens.map((t) => t.file.containerPath) // ['/var/run/secrets/eks.amazonaws.com/serviceaccount/token']
 */
export function planPodRun(pod: PodSpecLike, options: PodRunOptions = {}): PodRunPlan {
  checkAwsEndpoint(options.awsEndpoint);
  const { container, files, mounts } = findContainerTokenFiles(pod, options.containerName);
  const spec = pod.spec as (PodSpecLike['spec'] & { serviceAccount?: string }) | undefined;
  const { namespace, name: serviceAccountName } = podServiceAccount(pod, options.defaultNamespace || 'default');
  const serviceAccountUid = options.serviceAccounts?.find((sa) => sa.namespace === namespace && sa.name === serviceAccountName)?.uid;
  const tokens = files.map((file): PodRunToken => {
    if (options.lifetimeSeconds === undefined && file.expirationSeconds !== undefined && file.expirationSeconds < MIN_EXPIRATION_SECONDS) {
      throw new ManifestError(`volume ${file.volumeName}`, undefined, `serviceAccountToken.expirationSeconds ${file.expirationSeconds} is below the ${MIN_EXPIRATION_SECONDS} s minimum; fix the manifest`);
    }
    return { file, audience: file.audience, expirationSeconds: options.lifetimeSeconds ?? file.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS };
  });
  const { env, dropped } = commandEnv(options, resolveContainerEnv(pod, container));
  return {
    pod,
    container,
    namespace,
    serviceAccountName,
    serviceAccountUid,
    podName: pod.metadata?.name || undefined,
    podUid: pod.metadata?.uid || undefined,
    nodeName: spec?.nodeName || undefined,
    tokens,
    mounts,
    env,
    dropped,
    awsEndpoint: options.awsEndpoint,
  };
}

function commandEnv(options: PodRunOptions, containerEnv: Record<string, string>): { env: Record<string, string>; dropped: string[] } {
  const env: Record<string, string> = {};
  const dropped: string[] = [];
  const shadowing = new Set<string>(SHADOWING_ENV);
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) continue;
    if (shadowing.has(name)) dropped.push(name);
    else env[name] = value;
  }
  Object.assign(env, containerEnv);
  if (options.awsEndpoint !== undefined) env[ENV_ENDPOINT_URL] = options.awsEndpoint;
  return { env, dropped };
}

/** A planned run placed under a local directory. */
export interface LocalPodRun {
  /** Each token with the local file it is written to (volume `V` lives in `root/V/`). */
  tokens: Array<PodRunToken & { localPath: string }>;
  /** The environment with every path into a token mount rewritten to the local copy. */
  env: Record<string, string>;
}

/**
 * An endpoint for `AWS_ENDPOINT_URL`, when given, must be an http(s) URL. Throws {@link FieldError} (`awsEndpoint`).
 * @example
 * checkAwsEndpoint('http://127.0.0.1:4566') // ok
 */
export function checkAwsEndpoint(value: string | undefined): void {
  if (value !== undefined && !/^https?:\/\/[^\s]+$/.test(value)) {
    throw new FieldError('awsEndpoint', `${JSON.stringify(value)}: use an http(s) URL, e.g. http://127.0.0.1:4566`);
  }
}

/**
 * Places a plan under `root`: where each token file goes, and the environment with container paths into token
 * mounts pointing there instead.
 * @example
 * const local = placePodRun(plan, '/tmp/irsa-exec-x');
 * local.env.AWS_WEB_IDENTITY_TOKEN_FILE // '/tmp/irsa-exec-x/aws-iam-token/token'
 */
export function placePodRun(plan: PodRunPlan, root: string): LocalPodRun {
  const containerEnv = resolveContainerEnv(plan.pod, plan.container, tokenPathRewriter(plan.mounts, root));
  const env = { ...plan.env, ...containerEnv };
  if (plan.awsEndpoint !== undefined) env[ENV_ENDPOINT_URL] = plan.awsEndpoint;
  return { tokens: plan.tokens.map((t) => ({ ...t, localPath: localTokenPath(t.file, root) })), env };
}
