/**
 * Running a container's view of its projected service-account tokens outside a cluster: which token files the
 * container sees (projected `serviceAccountToken` sources of mounted volumes, `subPath` aware), where we put them on
 * the local disk, and the container's environment with those paths rewritten (pure functions over plain JSON).
 * @module
 */
import { posix } from 'node:path';
import { FieldError } from '../lib/errors.js';
import { ManifestError } from './errors.js';
import { isDns1123Label } from '../lib/k8s-names.js';

/** The fields of a container these functions read (plain JSON, as in a manifest). */
export interface ContainerSpec {
  name: string;
  env?: Array<{ name: string; value?: string; valueFrom?: Record<string, unknown> }>;
  envFrom?: Array<Record<string, unknown>>;
  volumeMounts?: Array<{ name: string; mountPath: string; subPath?: string; readOnly?: boolean }>;
}

/** The fields of a pod these functions read. */
export interface PodSpecLike {
  metadata?: { name?: string; namespace?: string; uid?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: {
    serviceAccountName?: string;
    nodeName?: string;
    containers?: ContainerSpec[];
    initContainers?: ContainerSpec[];
    volumes?: Array<{ name: string; projected?: { sources?: Array<{ serviceAccountToken?: { audience?: string; expirationSeconds?: number; path: string } }> } }>;
  };
}

/** A projected token as one container sees it. */
export interface ContainerTokenFile {
  volumeName: string;
  /** Path relative to the volume root (`serviceAccountToken.path`). */
  path: string;
  /** Where the container reads it. */
  containerPath: string;
  audience?: string;
  expirationSeconds?: number;
}

/** A mount of a token-carrying volume, for rewriting paths. */
export interface TokenVolumeMount {
  volumeName: string;
  mountPath: string;
  /** Path inside the volume mounted at `mountPath` ('' for the root). */
  subPath: string;
}

export interface ContainerTokens {
  container: ContainerSpec;
  files: ContainerTokenFile[];
  mounts: TokenVolumeMount[];
}

/**
 * Picks the container (by name, else the `kubectl.kubernetes.io/default-container` annotation, else the first) and
 * lists the projected token files it sees. A `containerName` the pod lacks is a {@link FieldError} on `containerName`;
 * a manifest that cannot be run is a {@link ManifestError}.
 * @example
 * const { files } = findContainerTokenFiles(pod, 'app'); // [{ containerPath: '/var/run/secrets/eks.amazonaws.com/serviceaccount/token', … }]
 */
export function findContainerTokenFiles(pod: PodSpecLike, containerName?: string): ContainerTokens {
  const spec = pod.spec ?? {};
  const all = [...(spec.containers ?? []), ...(spec.initContainers ?? [])];
  const wanted = containerName ?? pod.metadata?.annotations?.['kubectl.kubernetes.io/default-container'];
  const container = wanted === undefined ? spec.containers?.[0] : all.find((c) => c.name === wanted);
  if (!container) {
    const names = all.map((c) => c.name).join(', ') || 'none';
    const podName = pod.metadata?.name ?? 'the pod';
    if (wanted === undefined) throw new ManifestError(podLabel(pod), undefined, 'has no containers; add spec.containers');
    const problem = `${podName} has no container ${JSON.stringify(wanted)} (containers: ${names})`;
    if (containerName !== undefined) throw new FieldError('containerName', `${JSON.stringify(wanted)}: ${problem}; name one of them`);
    throw new ManifestError(podLabel(pod), undefined, `metadata.annotations[kubectl.kubernetes.io/default-container]: ${problem}; fix the annotation`);
  }
  validateTokenVolumes(pod);
  const files: ContainerTokenFile[] = [];
  const mounts: TokenVolumeMount[] = [];
  for (const [m, mount] of (container.volumeMounts ?? []).entries()) {
    const volume = spec.volumes?.find((v) => v.name === mount.name);
    const sources = (volume?.projected?.sources ?? []).flatMap((s) => (s.serviceAccountToken ? [s.serviceAccountToken] : []));
    if (sources.length === 0) continue;
    if (mount.subPath !== undefined && mount.subPath !== '') {
      checkLocalPath(mount.subPath, `container ${container.name} volumeMounts[${m}].subPath`, podLabel(pod));
    }
    const subPath = posix.normalize(mount.subPath ?? '').replace(/^\.$/, '').replace(/\/+$/, '');
    mounts.push({ volumeName: mount.name, mountPath: mount.mountPath, subPath });
    for (const source of sources) {
      const path = posix.normalize(source.path);
      let containerPath: string | undefined;
      if (subPath === '') containerPath = posix.join(mount.mountPath, path);
      else if (path === subPath) containerPath = mount.mountPath;
      else if (path.startsWith(`${subPath}/`)) containerPath = posix.join(mount.mountPath, path.slice(subPath.length + 1));
      if (containerPath === undefined) continue;
      files.push({
        volumeName: mount.name,
        path,
        containerPath,
        ...(source.audience !== undefined ? { audience: source.audience } : {}),
        ...(source.expirationSeconds !== undefined ? { expirationSeconds: source.expirationSeconds } : {}),
      });
    }
  }
  return { container, files, mounts };
}

function podLabel(pod: PodSpecLike): string {
  return `pod ${pod.metadata?.name ?? '(unnamed)'}`;
}

/**
 * The API server's rule for a path inside a volume (ValidateLocalNonReservedPath): relative, no `..` element, not
 * starting with `..`. Paths from a manifest are joined under our temporary directory, so this is what keeps them there.
 */
function checkLocalPath(value: unknown, field: string, source: string): void {
  if (typeof value !== 'string' || value === '') throw new ManifestError(source, undefined, `${field} must be a non-empty relative path; fix the manifest`);
  if (value.startsWith('/')) throw new ManifestError(source, undefined, `${field} ${JSON.stringify(value)} must be a relative path; fix the manifest`);
  if (value.includes('\0') || value.split('/').includes('..') || value.startsWith('..')) {
    throw new ManifestError(source, undefined, `${field} ${JSON.stringify(value)} must not contain '..'; fix the manifest`);
  }
}

/**
 * Refuses what the API server would refuse in the volumes that carry tokens: a name that is not a DNS-1123 label, or a
 * `serviceAccountToken.path` that is absolute or contains `..` (both become parts of a local file path).
 */
function validateTokenVolumes(pod: PodSpecLike): void {
  const source = podLabel(pod);
  for (const [i, volume] of (pod.spec?.volumes ?? []).entries()) {
    const sources = volume?.projected?.sources ?? [];
    if (!sources.some((s) => s?.serviceAccountToken)) continue;
    if (typeof volume.name !== 'string' || !isDns1123Label(volume.name)) {
      throw new ManifestError(source, undefined, `spec.volumes[${i}].name ${JSON.stringify(volume.name)} is not a DNS-1123 label (lowercase letters, digits, '-', at most 63); fix the manifest`);
    }
    for (const [j, s] of sources.entries()) {
      if (s?.serviceAccountToken) checkLocalPath(s.serviceAccountToken.path, `spec.volumes[${i}].projected.sources[${j}].serviceAccountToken.path`, source);
    }
  }
}

/**
 * A function that maps a container path inside a token-carrying mount to the local path (volume `V` lives in
 * `root/V/`), and leaves other values alone.
 * @example
 * const rewrite = tokenPathRewriter(mounts, '/tmp/irsa-exec-x');
 * rewrite('/var/run/secrets/eks.amazonaws.com/serviceaccount/token') // '/tmp/irsa-exec-x/aws-iam-token/token'
 */
export function tokenPathRewriter(mounts: readonly TokenVolumeMount[], root: string): (value: string) => string {
  // longest mount path first, so nested mounts win
  const ordered = [...mounts].sort((a, b) => b.mountPath.length - a.mountPath.length);
  return (value) => {
    for (const m of ordered) {
      const base = m.mountPath.replace(/\/+$/, '');
      if (value === base || value.startsWith(`${base}/`)) {
        const local = posix.join(root, m.volumeName, m.subPath);
        return value === base ? local : posix.join(local, value.slice(base.length + 1));
      }
    }
    return value;
  };
}

/**
 * The local path of a token file under `root` (`root/VOLUME/PATH`).
 * @example
 * localTokenPath({ volumeName: 'aws-iam-token', path: 'token', containerPath: '…' }, '/tmp/x') // '/tmp/x/aws-iam-token/token'
 */
export function localTokenPath(file: ContainerTokenFile, root: string): string {
  const path = posix.join(root, file.volumeName, file.path);
  // findContainerTokenFiles validated both parts; this keeps any other caller inside root too
  if (!path.startsWith(`${posix.join(root, file.volumeName)}/`) || !isDns1123Label(file.volumeName)) {
    throw new ManifestError(`volume ${file.volumeName}`, undefined, `token path ${JSON.stringify(file.path)} leaves the volume; fix the manifest`);
  }
  return path;
}

const FIELD_PATHS: Record<string, (pod: PodSpecLike) => string | undefined> = {
  'metadata.name': (p) => p.metadata?.name,
  'metadata.namespace': (p) => p.metadata?.namespace,
  'metadata.uid': (p) => p.metadata?.uid,
  'spec.nodeName': (p) => p.spec?.nodeName,
  'spec.serviceAccountName': (p) => p.spec?.serviceAccountName ?? 'default',
};

function fieldRefValue(pod: PodSpecLike, fieldPath: string): string | undefined {
  const direct = FIELD_PATHS[fieldPath];
  if (direct) return direct(pod);
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (m) return (m[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations)?.[m[2]!] ?? '';
  return undefined;
}

/**
 * Kubernetes' `$(VAR)` expansion: earlier variables only, `$$` escapes, unknown references kept verbatim.
 * @example
 * expandEnvReferences('$(A)-$(B)-$$(A)', new Map([['A', 'x']])) // 'x-$(B)-$(A)'
 */
export function expandEnvReferences(value: string, defined: ReadonlyMap<string, string>): string {
  return value.replace(/\$\$|\$\(([^)]*)\)/g, (match, name: string | undefined) => {
    if (match === '$$') return '$';
    return name !== undefined && defined.has(name) ? defined.get(name)! : match;
  });
}

/**
 * The container's environment as the kubelet would build it, from literal `env` entries and the `fieldRef`s a
 * manifest alone can answer (pod name, namespace, uid, node, service account, labels, annotations); paths into token
 * mounts rewritten by `rewrite`. Refuses `envFrom` and other `valueFrom` sources, naming them ({@link ManifestError}).
 * @example
 * const env = resolveContainerEnv(pod, container, rewrite); // { AWS_ROLE_ARN: '…', AWS_WEB_IDENTITY_TOKEN_FILE: '/tmp/…/token' }
 */
export function resolveContainerEnv(pod: PodSpecLike, container: ContainerSpec, rewrite: (value: string) => string = (v) => v): Record<string, string> {
  if (container.envFrom?.length) {
    const refs = container.envFrom.map((e) => {
      const kind = Object.keys(e).find((k) => k.endsWith('Ref')) ?? 'source';
      const ref = e[kind] as { name?: string } | undefined;
      return `${kind} ${ref?.name ?? '?'}`;
    });
    throw new ManifestError(`container ${container.name}`, undefined, `envFrom (${refs.join(', ')}) cannot be resolved outside the cluster; replace it with literal env values`);
  }
  const defined = new Map<string, string>();
  const unresolved: string[] = [];
  for (const entry of container.env ?? []) {
    if (entry.valueFrom) {
      const fieldRef = entry.valueFrom.fieldRef as { fieldPath?: string } | undefined;
      const value = fieldRef?.fieldPath ? fieldRefValue(pod, fieldRef.fieldPath) : undefined;
      if (value === undefined) {
        const kind = Object.keys(entry.valueFrom)[0] ?? 'valueFrom';
        const detail = fieldRef?.fieldPath ?? ((entry.valueFrom[kind] as { name?: string } | undefined)?.name ?? '');
        unresolved.push(`${entry.name} (${kind}${detail ? ` ${detail}` : ''})`);
        continue;
      }
      defined.set(entry.name, rewrite(value));
      continue;
    }
    defined.set(entry.name, rewrite(expandEnvReferences(entry.value ?? '', defined)));
  }
  if (unresolved.length > 0) {
    throw new ManifestError(`container ${container.name}`, undefined, `env ${unresolved.join(', ')} cannot be resolved outside the cluster; give literal values in the manifest`);
  }
  return Object.fromEntries(defined);
}
