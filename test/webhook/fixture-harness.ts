/**
 * Replays fixtures in the upstream EKS webhook's format (pkg/handler/testdata): a Pod whose
 * `testing.eks.amazonaws.com/...` annotations describe the ServiceAccount, the flags and the expected patch.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import jsonpatch, { type Operation } from 'fast-json-patch';
import { parseDocument } from 'yaml';
import type { ServiceAccountInfo } from '../../src/kube/service-account.js';
import { tryParseGoBool } from '../../src/lib/go-parse.js';
import {
  defaultMutationSettings,
  mutatePod,
  parseContainerCredentialsConfig,
  resolveIdentity,
  type JsonPatchOperation,
  type MutationSettings,
  type ResolvedIdentity,
} from '../../src/webhook/index.js';

const T = 'testing.eks.amazonaws.com/';
const PREFIX = 'eks.amazonaws.com';

export interface FixtureCase {
  file: string;
  pod: Record<string, unknown>;
  skip: boolean;
  expectedPatch: JsonPatchOperation[];
  serviceAccount: ServiceAccountInfo;
  settings: MutationSettings;
  containerCredentials: boolean;
}

/** Every `*.yaml`/`*.yml` below `dir`, recursively, sorted. */
export function listFixtureFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...listFixtureFiles(path));
    else if (entry.endsWith('.yaml') || entry.endsWith('.yml')) out.push(path);
  }
  return out;
}

/** Reads a fixture file the way upstream's harness does (first document; namespace and SA forced to `default`). */
export function loadFixture(file: string): FixtureCase {
  const doc = parseDocument(readFileSync(file, 'utf8'), { uniqueKeys: false });
  if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`);
  const pod = doc.toJS() as Record<string, unknown>;
  const metadata = (pod.metadata ?? {}) as Record<string, unknown>;
  const a = (metadata.annotations ?? {}) as Record<string, string>;
  metadata.namespace = 'default';
  pod.metadata = metadata;
  (pod.spec as Record<string, unknown>).serviceAccountName = 'default';

  const saAnnotations: Record<string, string> = {};
  const set = (key: string, value: string | undefined): void => {
    if (value !== undefined) saAnnotations[`${PREFIX}/${key}`] = value;
  };
  set('role-arn', a[`${T}serviceAccount/roleArn`]);
  set('audience', a[`${T}serviceAccount/audience`]);
  set('sts-regional-endpoints', a[`${T}serviceAccount/sts-regional-endpoints`] ?? a[`${T}handler/injectSTS`]);
  set('token-expiration', a[`${T}serviceAccount/token-expiration`] ?? a[`${T}handler/expiration`]);

  const settings = defaultMutationSettings();
  settings.awsDefaultRegion = a[`${T}handler/region`] ?? '';
  if (a[`${T}handler/mountPath`] !== undefined) settings.tokenMountPath = a[`${T}handler/mountPath`]!;
  const uri = a[`${T}containercredentials/uri`] ?? '';
  if (uri !== '') {
    settings.containerCredentialsFullUri = uri;
    settings.containerCredentialsAudience = a[`${T}containercredentials/audience`] ?? '';
    settings.containerCredentialsTokenMountPath = a[`${T}containercredentials/mountPath`] ?? '';
    settings.containerCredentialsTokenVolumeName = a[`${T}containercredentials/volumeName`] ?? '';
    settings.containerCredentialsTokenPath = a[`${T}containercredentials/tokenPath`] ?? '';
  }
  const expected = a[`${T}expectedPatch`];
  return {
    file,
    pod,
    skip: tryParseGoBool(a[`${T}skip`] ?? '') === true,
    expectedPatch: expected === undefined ? [] : (JSON.parse(expected) as JsonPatchOperation[]),
    serviceAccount: { namespace: 'default', name: 'default', annotations: saAnnotations },
    settings,
    containerCredentials: uri !== '',
  };
}

/** The identity a fixture's pod (ServiceAccount default/default) resolves to, as upstream's test harness sets it up. */
export function fixtureIdentity(c: FixtureCase): ResolvedIdentity | undefined {
  return resolveIdentity({
    namespace: 'default',
    serviceAccountName: 'default',
    serviceAccount: c.serviceAccount,
    containerCredentials: c.containerCredentials ? parseContainerCredentialsConfig('{"identities":[{"namespace":"default","serviceAccount":"default"}]}') : undefined,
    options: c.settings,
  });
}

/** Runs the mutation for a fixture, with upstream's zero random source. */
export function runFixture(c: FixtureCase): { patch: JsonPatchOperation[]; warnings: string[] } {
  return mutatePod(c.pod, fixtureIdentity(c), c.settings, () => 0);
}

// Fields of the Go types in k8s.io/api v0.36.0 (spec Appendix A); anything else is dropped by upstream's re-encoding.
const CONTAINER_FIELDS = new Set(['name', 'image', 'command', 'args', 'workingDir', 'ports', 'envFrom', 'env', 'resources', 'resizePolicy', 'restartPolicy', 'restartPolicyRules', 'volumeMounts', 'volumeDevices', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle', 'terminationMessagePath', 'terminationMessagePolicy', 'imagePullPolicy', 'securityContext', 'stdin', 'stdinOnce', 'tty']);
const VOLUME_MOUNT_FIELDS = new Set(['name', 'readOnly', 'recursiveReadOnly', 'mountPath', 'subPath', 'mountPropagation', 'subPathExpr']);

/** Removes the Go serialisation artefacts named in the fixtures' README from a patched pod (mutates and returns it). */
export function stripGoArtefacts(pod: Record<string, unknown>): Record<string, unknown> {
  const spec = pod.spec as Record<string, unknown> | undefined;
  for (const list of [spec?.containers, spec?.initContainers]) {
    if (!Array.isArray(list)) continue;
    for (const c of list as Array<Record<string, unknown>>) {
      for (const key of Object.keys(c)) if (!CONTAINER_FIELDS.has(key)) delete c[key];
      if (c.resources !== undefined && JSON.stringify(c.resources) === '{}') delete c.resources;
      for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
        const grpc = (c[probe] as Record<string, unknown> | undefined)?.grpc as Record<string, unknown> | undefined;
        if (grpc !== undefined && grpc.service === null) delete grpc.service;
      }
      if (Array.isArray(c.volumeMounts)) {
        for (const m of c.volumeMounts as Array<Record<string, unknown>>) {
          for (const key of Object.keys(m)) if (!VOLUME_MOUNT_FIELDS.has(key)) delete m[key];
          if (m.mountPath === '') delete m.mountPath;
        }
      }
    }
  }
  return pod;
}

/** The patched pods (ours, upstream's), artefacts stripped; applied by an independent RFC 6902 implementation. */
export function patchedPods(c: FixtureCase, ours: JsonPatchOperation[]): { actual: unknown; expected: unknown } {
  const apply = (patch: JsonPatchOperation[]) => jsonpatch.applyPatch(c.pod, patch as Operation[], true, false).newDocument as Record<string, unknown>;
  return { actual: stripGoArtefacts(apply(ours)), expected: stripGoArtefacts(apply(c.expectedPatch)) };
}
