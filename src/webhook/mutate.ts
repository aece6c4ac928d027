/**
 * The pod mutation of the EKS pod identity webhook as a pure function (spec 3, 5, 6): from a pod (raw JSON), its
 * resolved identity and the flags to the exact JSON Patch upstream returns, plus warnings upstream never gives.
 *
 * Same operation list as upstream (label in container-credentials mode, `/spec/volumes` or `/spec/volumes/0`, the
 * whole `/spec/containers`, `/spec/initContainers` when present), but containers are deep copies of the user's raw
 * JSON with env entries and a mount appended — never re-encoded through a fixed schema, so no field is lost.
 *
 * Why the code is written as it is (keep these reasons when changing it):
 * - Go parsing semantics: the token-expiration annotation is read as Go's `strconv.ParseInt`, the skip-containers
 *   annotation as one `encoding/csv` record, the token path joined as `filepath.Join` (lib/go-parse.ts), so a pod
 *   gets upstream's patch for the same annotations, odd ones included.
 * - Go-order JSON: the objects the patch adds list their keys in the order Go's encoder writes upstream's structs
 *   (volume `name, projected`; token projection `audience, expirationSeconds, path`; mount `name, readOnly,
 *   mountPath`; env `name, value`), and the user's container keys keep their order, so the serialised patch is
 *   upstream's byte for byte.
 * - Measured hot path: `structuralSharing` (share the unchanged sub-objects instead of deep-copying them) was
 *   measured with bench/mutate when added (commit 1788cd5, several times faster); the admission path uses it.
 * - Measured on `dist/` (2026-12-02): the module-local copies of the imported env names and the env-presence
 *   bitmask (`HAS_*`, one integer instead of six booleans) against imported names and six named booleans, as an
 *   in-process A/B of the two compiled builds on bench/mutate's review (20,000 mutations a round, 15 alternating
 *   rounds, six runs on a busy 2-core machine): the plain version took 0.98–1.25× the time (median over the runs
 *   1.12×), never clearly less, so both stay.
 * - Never measured on their own: the per-call `MutationState` object instead of closures, preallocated arrays and
 *   index loops, all written so from the start and local to the container loop.
 * @module
 */
import { goFilepathJoin, parseGoCsvRecord, tryParseGoInt } from '../lib/go-parse.js';
import {
  ANNOTATION_SKIP_CONTAINERS,
  ANNOTATION_TOKEN_EXPIRATION,
  DEFAULT_TOKEN_EXPIRATION,
  JITTER_MIN_TOKEN_EXPIRATION,
  NODE_SELECTOR_BETA_OS,
  NODE_SELECTOR_OS,
  POD_IDENTITY_LABEL,
  POD_IDENTITY_LABEL_POINTER,
  POD_IDENTITY_LABEL_VALUE,
  isRoleArn,
  WINDOWS,
  type MutationSettings,
} from './constants.js';
import { clampTokenExpiration, type ResolvedIdentity } from './identity.js';
import type { JsonPatchOperation } from './json-patch.js';
import { isRecord } from '../lib/is-record.js';
import {
  ENV_CONTAINER_AUTHORIZATION_TOKEN_FILE,
  ENV_CONTAINER_CREDENTIALS_FULL_URI,
  ENV_DEFAULT_REGION,
  ENV_REGION,
  ENV_ROLE_ARN,
  ENV_STS_REGIONAL_ENDPOINTS,
  ENV_WEB_IDENTITY_TOKEN_FILE,
  STS_REGIONAL_ENDPOINTS_REGIONAL,
} from '../lib/wire-names.js';

/** The flags the mutation itself reads (everything else is already in the {@link ResolvedIdentity}). */
export type MutatePodOptions = Pick<MutationSettings, 'annotationPrefix' | 'awsDefaultRegion'> & {
  /**
   * false (default): the patch holds deep copies of the user's containers. true: the patch shares every unchanged
   * sub-object (probes, resources, env entries, ...) with `pod` and copies only what it extends — several times
   * faster, for callers that serialise the patch right away and never modify `pod` or the patch (the admission path).
   */
  structuralSharing?: boolean;
};

/** The patch for the API server, and what a human should know about it. */
export interface MutatePodResult {
  /** Empty when the pod is not mutated (no identity, or not a pod). */
  patch: JsonPatchOperation[];
  /** One line each: containers left partly unmutated, reused volumes, odd annotations, a role that is not an ARN. */
  warnings: string[];
}

const JITTER_RANGE = DEFAULT_TOKEN_EXPIRATION - JITTER_MIN_TOKEN_EXPIRATION + 1; // Go Int63n(7201)

/** Per-call state shared by the container loop (one object per call instead of closures). */
interface MutationState {
  cc: boolean;
  identity: ResolvedIdentity;
  region: string;
  tokenFilePath: string;
  skip: Set<string> | undefined;
  skipMatched: Set<string> | undefined;
  warnings: string[];
  share: boolean;
}

/**
 * Computes the webhook's JSON Patch for `pod` (spec 6.2-6.5). Pure; never modifies `pod`; does not throw for any JSON
 * value (a throw, e.g. from a getter of a non-JSON object or from `random`, reaches the caller).
 * `identity` undefined ⇒ no patch. `random` (values in [0, 1)) drives the container-credentials jitter of a default
 * 86400 s expiration into [79200, 86400]; pass `() => 0` to reproduce upstream's fixtures.
 * @example
 * const { patch, warnings } = mutatePod(pod, identity, { annotationPrefix: 'eks.amazonaws.com', awsDefaultRegion: 'us-west-2' });
 */
export function mutatePod(
  pod: unknown,
  identity: ResolvedIdentity | undefined,
  options: MutatePodOptions,
  random: () => number = Math.random,
): MutatePodResult {
  const warnings: string[] = [];
  if (identity === undefined) return { patch: [], warnings };
  // No catch here: a failure is a bug the handler logs and counts (it admits the pod unchanged with a warning).
  return { patch: buildPatch(pod, identity, options, random, warnings), warnings };
}

function buildPatch(
  pod: unknown,
  identity: ResolvedIdentity,
  options: MutatePodOptions,
  random: () => number,
  warnings: string[],
): JsonPatchOperation[] {
  if (!isRecord(pod)) {
    warnings.push('pod not mutated: the object is not a JSON object');
    return [];
  }
  const cc = identity.mode === 'container-credentials';
  const metadata = isRecord(pod.metadata) ? pod.metadata : undefined;
  const annotations = metadata !== undefined && isRecord(metadata.annotations) ? metadata.annotations : undefined;
  const spec = isRecord(pod.spec) ? pod.spec : undefined;
  const prefix = options.annotationPrefix;

  // Expiration: pod annotation > identity (SA annotation > flag); jitter only for CC mode's exact default.
  let expiration = identity.tokenExpiration;
  if (annotations !== undefined) {
    const raw = annotations[`${prefix}/${ANNOTATION_TOKEN_EXPIRATION}`];
    if (typeof raw === 'string') {
      const parsed = tryParseGoInt(raw);
      if (parsed === undefined) {
        warnings.push(`annotation ${prefix}/${ANNOTATION_TOKEN_EXPIRATION}: ${JSON.stringify(raw)} is not an integer number of seconds; ignored (token expiration ${expiration})`);
      } else expiration = clampTokenExpiration(parsed);
    }
  }
  if (cc && expiration === DEFAULT_TOKEN_EXPIRATION) {
    let r = random();
    if (!(r >= 0)) r = 0;
    else if (r >= 1) r = 0.9999999999;
    expiration = JITTER_MIN_TOKEN_EXPIRATION + Math.floor(r * JITTER_RANGE);
  }

  let skip: Set<string> | undefined;
  if (annotations !== undefined) {
    const raw = annotations[`${prefix}/${ANNOTATION_SKIP_CONTAINERS}`];
    if (typeof raw === 'string') {
      const record = parseGoCsvRecord(raw);
      if (record.ok) skip = new Set(record.fields);
      else if (raw !== '') warnings.push(`annotation ${prefix}/${ANNOTATION_SKIP_CONTAINERS}: ${JSON.stringify(raw)} is not one CSV record (${record.error}); no container skipped`);
    }
  }

  let tokenFilePath = goFilepathJoin(identity.mountPath, identity.tokenPath);
  const nodeSelector = spec !== undefined && isRecord(spec.nodeSelector) ? spec.nodeSelector : undefined;
  if (nodeSelector !== undefined && (nodeSelector[NODE_SELECTOR_OS] === WINDOWS || nodeSelector[NODE_SELECTOR_BETA_OS] === WINDOWS)) {
    tokenFilePath = `C:${tokenFilePath.replace(/\//g, '\\')}`;
  }

  if (!cc && !isRoleArn(identity.roleArn)) {
    warnings.push(`role ${JSON.stringify(identity.roleArn)} does not look like an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>); injected as is`);
  }

  const state: MutationState = {
    cc,
    identity,
    region: options.awsDefaultRegion,
    tokenFilePath,
    skip,
    skipMatched: skip === undefined ? undefined : new Set<string>(),
    warnings,
    share: options.structuralSharing === true,
  };
  const patch: JsonPatchOperation[] = [];

  if (cc) {
    const labels = metadata === undefined ? undefined : metadata.labels;
    if (labels === undefined || labels === null) {
      patch.push({ op: 'add', path: '/metadata/labels', value: { [POD_IDENTITY_LABEL]: POD_IDENTITY_LABEL_VALUE } });
    } else {
      if (!isRecord(labels)) warnings.push('metadata.labels is not an object');
      patch.push({ op: 'add', path: POD_IDENTITY_LABEL_POINTER, value: POD_IDENTITY_LABEL_VALUE });
    }
  }

  const volumes = spec === undefined ? undefined : spec.volumes;
  let volumeExists = false;
  if (Array.isArray(volumes)) {
    for (let i = 0; i < volumes.length; i++) {
      const v = volumes[i];
      if (isRecord(v) && v.name === identity.volumeName) {
        volumeExists = true;
        if (!isProjectedToken(v)) {
          warnings.push(`spec.volumes[${i}]: a volume named ${JSON.stringify(identity.volumeName)} already exists and is not a projected service account token; it is reused, so containers will not find a token at ${tokenFilePath}`);
        }
        break;
      }
    }
  }
  if (!volumeExists) {
    const volume = tokenVolume(identity, expiration);
    if (volumes === undefined || volumes === null) patch.push({ op: 'add', path: '/spec/volumes', value: [volume] });
    else if (Array.isArray(volumes)) patch.push({ op: 'add', path: '/spec/volumes/0', value: volume });
    else {
      warnings.push('spec.volumes is not an array; replaced by the token volume');
      patch.push({ op: 'add', path: '/spec/volumes', value: [volume] });
    }
  }

  const containers = spec === undefined ? undefined : spec.containers;
  patch.push({ op: 'add', path: '/spec/containers', value: mutateContainers(containers, 'spec.containers', state) });
  const initContainers = spec === undefined ? undefined : spec.initContainers;
  if (Array.isArray(initContainers) && initContainers.length > 0) {
    patch.push({ op: 'add', path: '/spec/initContainers', value: mutateContainers(initContainers, 'spec.initContainers', state) });
  }

  if (skip !== undefined) {
    for (const name of skip) {
      if (!state.skipMatched!.has(name)) {
        warnings.push(`annotation ${prefix}/${ANNOTATION_SKIP_CONTAINERS}: no container is named ${JSON.stringify(name)}`);
      }
    }
  }
  return patch;
}

function tokenVolume(identity: ResolvedIdentity, expiration: number): Record<string, unknown> {
  const projection: Record<string, unknown> = identity.audience === ''
    ? { expirationSeconds: expiration, path: identity.tokenPath }
    : { audience: identity.audience, expirationSeconds: expiration, path: identity.tokenPath };
  return { name: identity.volumeName, projected: { sources: [{ serviceAccountToken: projection }] } };
}

function isProjectedToken(volume: Record<string, unknown>): boolean {
  const projected = volume.projected;
  if (!isRecord(projected) || !Array.isArray(projected.sources)) return false;
  for (const source of projected.sources) {
    if (isRecord(source) && isRecord(source.serviceAccountToken)) return true;
  }
  return false;
}

function mutateContainers(containers: unknown, where: string, state: MutationState): unknown[] {
  if (containers === undefined || containers === null) return [];
  if (!Array.isArray(containers)) {
    state.warnings.push(`${where} is not an array; replaced by an empty list`);
    return [];
  }
  const out = new Array<unknown>(containers.length);
  for (let i = 0; i < containers.length; i++) out[i] = mutateContainer(containers[i], where, i, state);
  return out;
}

// Module-local copies of the names the per-container loop compares: some loaders (tsx) turn imported bindings
// into getter calls, which would dominate this loop; on dist/ they measured no slower (see the module header).
const ROLE_ARN = ENV_ROLE_ARN;
const WEB_IDENTITY_TOKEN_FILE = ENV_WEB_IDENTITY_TOKEN_FILE;
const FULL_URI = ENV_CONTAINER_CREDENTIALS_FULL_URI;
const AUTHORIZATION_TOKEN_FILE = ENV_CONTAINER_AUTHORIZATION_TOKEN_FILE;
const REGION = ENV_REGION;
const DEFAULT_REGION = ENV_DEFAULT_REGION;
const STS_REGIONAL_ENDPOINTS = ENV_STS_REGIONAL_ENDPOINTS;
const REGIONAL = STS_REGIONAL_ENDPOINTS_REGIONAL;

// Bits of what a container's env already defines (presence by name only, as upstream); one integer for six
// booleans in the per-container loop (see the module header).
const HAS_ROLE_ARN = 1;
const HAS_WEB_IDENTITY_TOKEN_FILE = 2;
const HAS_FULL_URI = 4;
const HAS_AUTHORIZATION_TOKEN_FILE = 8;
const HAS_REGION = 16;
const HAS_STS = 32;

function mutateContainer(container: unknown, where: string, index: number, state: MutationState): unknown {
  if (!isRecord(container)) {
    state.warnings.push(`${where}[${index}] is not an object; left unchanged`);
    return copyOf(container, state.share);
  }
  const name = typeof container.name === 'string' ? container.name : '';
  const label = name === '' ? `${where}[${index}]` : `container ${JSON.stringify(name)}`;
  if (state.skip !== undefined && state.skip.has(name)) {
    state.skipMatched!.add(name);
    return copyOf(container, state.share);
  }
  const env = container.env;
  if (env !== undefined && env !== null && !Array.isArray(env)) {
    state.warnings.push(`${label}: env is not a list; left unchanged`);
    return copyOf(container, state.share);
  }
  const mounts = container.volumeMounts;
  if (mounts !== undefined && mounts !== null && !Array.isArray(mounts)) {
    state.warnings.push(`${label}: volumeMounts is not a list; left unchanged`);
    return copyOf(container, state.share);
  }

  const identity = state.identity;
  const cc = state.cc;
  let defined = 0;
  let firstValue: unknown;
  let secondValue: unknown;
  if (env !== undefined && env !== null) {
    for (let i = 0; i < env.length; i++) {
      const e = env[i];
      if (!isRecord(e)) continue;
      switch (e.name) {
        case ROLE_ARN: defined |= HAS_ROLE_ARN; if (!cc) firstValue = e.value; break;
        case WEB_IDENTITY_TOKEN_FILE: defined |= HAS_WEB_IDENTITY_TOKEN_FILE; if (!cc) secondValue = e.value; break;
        case FULL_URI: defined |= HAS_FULL_URI; if (cc) firstValue = e.value; break;
        case AUTHORIZATION_TOKEN_FILE: defined |= HAS_AUTHORIZATION_TOKEN_FILE; if (cc) secondValue = e.value; break;
        case REGION: case DEFAULT_REGION: defined |= HAS_REGION; break;
        case STS_REGIONAL_ENDPOINTS: defined |= HAS_STS; break;
        default: break;
      }
    }
  }
  const firstBit = cc ? HAS_FULL_URI : HAS_ROLE_ARN;
  const secondBit = cc ? HAS_AUTHORIZATION_TOKEN_FILE : HAS_WEB_IDENTITY_TOKEN_FILE;
  const modeDefined = (defined & (firstBit | secondBit)) !== 0;
  const mountIndex = findMount(mounts, identity.volumeName);

  // Upstream's early exit: mode keys, a region and STS all present ⇒ untouched, mount included (fixture rawPodHasAll).
  if (modeDefined && (defined & HAS_REGION) !== 0 && (defined & HAS_STS) !== 0) {
    if (mountIndex < 0) {
      state.warnings.push(`${label}: already sets ${cc ? FULL_URI : ROLE_ARN}, a region and ${STS_REGIONAL_ENDPOINTS}, so it is left unchanged and does not get the ${JSON.stringify(identity.volumeName)} token mount`);
    }
    return copyOf(container, state.share);
  }

  const firstName = cc ? FULL_URI : ROLE_ARN;
  const secondName = cc ? AUTHORIZATION_TOKEN_FILE : WEB_IDENTITY_TOKEN_FILE;
  const firstWant = cc ? identity.fullUri : identity.roleArn;
  if (modeDefined) warnPartialMode(defined, firstBit, secondBit, firstName, secondName, firstValue, secondValue, firstWant, label, state);

  const addSts = identity.useRegionalSts && (defined & HAS_STS) === 0;
  const addRegion = state.region !== '' && (defined & HAS_REGION) === 0;
  const addMode = !modeDefined;
  const appendCount = (addSts ? 1 : 0) + (addRegion ? 2 : 0) + (addMode ? 2 : 0);
  let newEnv: unknown[] | undefined;
  if (appendCount > 0) {
    const existing = env === undefined || env === null ? 0 : env.length;
    newEnv = new Array<unknown>(existing + appendCount);
    let k = 0;
    for (; k < existing; k++) newEnv[k] = copyOf(env![k], state.share);
    if (addSts) newEnv[k++] = { name: STS_REGIONAL_ENDPOINTS, value: REGIONAL };
    if (addRegion) {
      newEnv[k++] = { name: DEFAULT_REGION, value: state.region };
      newEnv[k++] = { name: REGION, value: state.region };
    }
    if (addMode) {
      newEnv[k++] = { name: firstName, value: firstWant };
      newEnv[k++] = { name: secondName, value: state.tokenFilePath };
    }
  }

  let newMounts: unknown[] | undefined;
  if (mountIndex < 0) {
    const existing = mounts === undefined || mounts === null ? 0 : mounts.length;
    newMounts = new Array<unknown>(existing + 1);
    for (let k = 0; k < existing; k++) {
      const m = mounts![k];
      if (isRecord(m) && m.mountPath === identity.mountPath) {
        state.warnings.push(`${label}: mount path ${identity.mountPath} is already used by volume ${JSON.stringify(m.name)}; the API server will reject the pod (mountPath must be unique)`);
      }
      newMounts[k] = copyOf(m, state.share);
    }
    newMounts[existing] = { name: identity.volumeName, readOnly: true, mountPath: identity.mountPath };
  } else {
    const m = mounts![mountIndex] as Record<string, unknown>;
    if (m.mountPath !== identity.mountPath) {
      state.warnings.push(`${label}: volume ${JSON.stringify(identity.volumeName)} is already mounted at ${JSON.stringify(m.mountPath)}, not ${identity.mountPath}; ${secondName} points to ${state.tokenFilePath}`);
    }
  }

  // Copy the user's container key by key (order kept), swapping in the extended lists.
  let out: Record<string, unknown>;
  if (state.share) {
    out = { ...container }; // keeps key order and V8's fast object shape
    if (newEnv !== undefined) out.env = newEnv;
    if (newMounts !== undefined) out.volumeMounts = newMounts;
  } else {
    out = {};
    const keys = Object.keys(container);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      if (key === 'env' && newEnv !== undefined) out.env = newEnv;
      else if (key === 'volumeMounts' && newMounts !== undefined) out.volumeMounts = newMounts;
      else setJsonMember(out, key, cloneJson(container[key]));
    }
  }
  if (newEnv !== undefined && (env === undefined)) out.env = newEnv;
  if (newMounts !== undefined && (mounts === undefined)) out.volumeMounts = newMounts;
  return out;
}

function warnPartialMode(
  defined: number,
  firstBit: number,
  secondBit: number,
  firstName: string,
  secondName: string,
  firstValue: unknown,
  secondValue: unknown,
  firstWant: string,
  label: string,
  state: MutationState,
): void {
  if ((defined & firstBit) === 0) {
    state.warnings.push(`${label}: already sets ${secondName}, so ${firstName} is not injected`);
  } else if ((defined & secondBit) === 0) {
    state.warnings.push(`${label}: already sets ${firstName}, so ${secondName} is not injected`);
  } else {
    if (firstValue !== firstWant) {
      state.warnings.push(`${label}: already sets ${firstName}${typeof firstValue === 'string' ? ` to ${JSON.stringify(firstValue)}` : ''}; ${JSON.stringify(firstWant)} is not injected`);
    }
    if (secondValue !== state.tokenFilePath) {
      state.warnings.push(`${label}: already sets ${secondName}${typeof secondValue === 'string' ? ` to ${JSON.stringify(secondValue)}` : ''}; ${JSON.stringify(state.tokenFilePath)} is not injected`);
    }
  }
}

function findMount(mounts: unknown, volumeName: string): number {
  if (!Array.isArray(mounts)) return -1;
  for (let i = 0; i < mounts.length; i++) {
    const m = mounts[i];
    if (isRecord(m) && m.name === volumeName) return i;
  }
  return -1;
}

function copyOf(value: unknown, share: boolean): unknown {
  return share ? value : cloneJson(value);
}

/** Deep copy of JSON data (objects, arrays, primitives); other values are copied by reference. */
export function cloneJson(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = cloneJson(value[i]);
    return out;
  }
  const src = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const keys = Object.keys(src);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    setJsonMember(out, key, cloneJson(src[key]));
  }
  return out;
}

/** Sets `obj[key]`; JSON.parse can produce an own "__proto__" member, which a plain assignment would turn into the prototype. */
export function setJsonMember(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

