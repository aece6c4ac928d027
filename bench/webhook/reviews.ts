/**
 * Realistic, varied AdmissionReviews as kube-apiserver sends them for pods created by a ReplicaSet controller:
 * defaulted specs, managedFields (FieldsV1, as the API server records them), 1–3 containers, 0–2 init containers,
 * 1–4 volumes besides the projected kube-api-access volume, env, probes, resources. Deterministic (seeded), so every
 * server in a run gets the same bytes, and so does every run.
 * @module
 */
import { podCreateReview } from '../admission-review.js';

export interface BenchServiceAccount {
  apiVersion: 'v1';
  kind: 'ServiceAccount';
  metadata: { name: string; namespace: string; uid: string; resourceVersion: string; annotations?: Record<string, string> };
}

export interface BenchReviews {
  /** The JSON bodies, one per review. */
  bodies: string[];
  /** The ServiceAccounts the pods name (all exist; about one in ten has no role and so is not mutated). */
  serviceAccounts: BenchServiceAccount[];
}

/** mulberry32: a small seeded PRNG (the same reviews in every run). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FieldsV1 of a value, as the API server's structured-merge-diff records it (lists of named items keyed by name). */
function fieldsV1(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    if (child === undefined) continue;
    if (Array.isArray(child)) {
      const items: Record<string, unknown> = { '.': {} };
      for (const item of child) {
        const name = typeof item === 'object' && item !== null ? (item as Record<string, unknown>).name ?? (item as Record<string, unknown>).containerPort ?? (item as Record<string, unknown>).mountPath : undefined;
        if (name === undefined) items[`v:${JSON.stringify(item)}`] = {};
        else {
          const k = typeof name === 'number' ? `k:{"containerPort":${name},"protocol":"TCP"}` : (item as Record<string, unknown>).mountPath === name ? `k:{"mountPath":${JSON.stringify(name)}}` : `k:{"name":${JSON.stringify(name)}}`;
          items[k] = { '.': {}, ...fieldsV1(item) };
        }
      }
      out[`f:${key}`] = items;
    } else if (typeof child === 'object' && child !== null) {
      out[`f:${key}`] = { '.': {}, ...fieldsV1(child) };
    } else out[`f:${key}`] = {};
  }
  return out;
}

const IMAGES = ['registry.example.com/shop/checkout:1.42.0', 'envoyproxy/envoy:v1.31.0', 'public.ecr.aws/aws-observability/aws-otel-collector:v0.40.0', 'registry.example.com/platform/fluent-bit:3.1.4', 'ghcr.io/example/worker:2024.10.1'];

function container(rnd: () => number, name: string, init: boolean): Record<string, unknown> {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const env: Array<Record<string, unknown>> = [{ name: 'LOG_LEVEL', value: pick(['info', 'debug', 'warn']) }];
  for (let i = 0, n = Math.floor(rnd() * 6); i < n; i++) env.push({ name: `FEATURE_${i}`, value: String(rnd() > 0.5) });
  env.push({ name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } });
  if (rnd() < 0.3) env.push({ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } });
  // One in ten containers already sets a region, one in twenty the STS endpoint variable (upstream's partial cases).
  if (rnd() < 0.1) env.push({ name: 'AWS_REGION', value: 'eu-central-1' });
  if (rnd() < 0.05) env.push({ name: 'AWS_STS_REGIONAL_ENDPOINTS', value: 'regional' });
  const c: Record<string, unknown> = {
    name,
    image: pick(IMAGES),
    ...(init ? { command: ['/bin/sh', '-c', 'migrate --to latest'] } : { args: ['--port=8080', `--workers=${1 + Math.floor(rnd() * 8)}`] }),
    ...(init ? {} : { ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }] }),
    env,
    resources: { limits: { cpu: pick(['250m', '500m', '1']), memory: pick(['256Mi', '512Mi', '1Gi']) }, requests: { cpu: '100m', memory: '128Mi' } },
    volumeMounts: [
      { name: 'config', readOnly: true, mountPath: '/etc/app' },
      { name: 'kube-api-access-x7k2p', readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' },
    ],
    ...(init ? {} : {
      livenessProbe: { httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' }, initialDelaySeconds: 10, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
      readinessProbe: { httpGet: { path: '/ready', port: 8080, scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 5, successThreshold: 1, failureThreshold: 3 },
    }),
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    imagePullPolicy: 'IfNotPresent',
    securityContext: { capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true, runAsNonRoot: true, allowPrivilegeEscalation: false },
  };
  return c;
}

function pod(rnd: () => number, index: number, namespace: string, serviceAccountName: string): Record<string, unknown> {
  const app = `app-${index % 37}`;
  const hash = (0x10000000 + Math.floor(rnd() * 0xefffffff)).toString(16).slice(0, 9);
  const containers = Array.from({ length: 1 + Math.floor(rnd() * 3) }, (_, i) => container(rnd, i === 0 ? app : ['envoy', 'otel', 'fluent-bit'][i - 1]!, false));
  const nInit = rnd() < 0.5 ? 0 : 1 + Math.floor(rnd() * 2);
  const initContainers = Array.from({ length: nInit }, (_, i) => container(rnd, `init-${i}`, true));
  const volumes: Array<Record<string, unknown>> = [{ name: 'config', configMap: { name: `${app}-config`, defaultMode: 420 } }];
  for (let i = 0, n = Math.floor(rnd() * 3); i < n; i++) {
    volumes.push(rnd() < 0.5 ? { name: `data-${i}`, emptyDir: {} } : { name: `secret-${i}`, secret: { secretName: `${app}-secret-${i}`, defaultMode: 420 } });
  }
  volumes.push({ name: 'kube-api-access-x7k2p', projected: { sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }, { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }, { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } }], defaultMode: 420 } });
  const metadata: Record<string, unknown> = {
    generateName: `${app}-${hash}-`,
    namespace,
    creationTimestamp: null,
    labels: { app, 'pod-template-hash': hash, 'app.kubernetes.io/part-of': namespace },
    annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8080', 'kubectl.kubernetes.io/restartedAt': '2026-11-30T10:12:44Z' },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${app}-${hash}`, uid: '0f6b7c1e-3d2a-4b5c-8e9f-1a2b3c4d5e6f', controller: true, blockOwnerDeletion: true }],
  };
  const spec: Record<string, unknown> = {
    volumes,
    ...(nInit > 0 ? { initContainers } : {}),
    containers,
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    dnsPolicy: 'ClusterFirst',
    serviceAccountName,
    serviceAccount: serviceAccountName,
    securityContext: { fsGroup: 65534 },
    schedulerName: 'default-scheduler',
    tolerations: [
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ],
    priority: 0,
    enableServiceLinks: true,
    preemptionPolicy: 'PreemptLowerPriority',
  };
  // The ReplicaSet controller's field ownership, recorded by the API server before admission.
  metadata.managedFields = [{ manager: 'kube-controller-manager', operation: 'Update', apiVersion: 'v1', time: '2026-12-01T09:30:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': fieldsV1({ generateName: 1, labels: metadata.labels, annotations: metadata.annotations, ownerReferences: metadata.ownerReferences }), 'f:spec': fieldsV1(spec) } }];
  return { kind: 'Pod', apiVersion: 'v1', metadata, spec, status: {} };
}

/**
 * `count` reviews over `namespaces` × `perNamespace` ServiceAccounts.
 * @example
 * const { bodies, serviceAccounts } = realisticReviews(300);
 */
export function realisticReviews(count: number, { namespaces = 10, perNamespace = 100, seed = 13 } = {}): BenchReviews {
  const rnd = prng(seed);
  const serviceAccounts: BenchServiceAccount[] = [];
  for (let n = 0; n < namespaces; n++) {
    for (let i = 0; i < perNamespace; i++) {
      const namespace = `team-${n}`;
      const name = `workload-${i}`;
      const annotations: Record<string, string> = {};
      if (i % 10 !== 9) annotations['eks.amazonaws.com/role-arn'] = `arn:aws:iam::111122223333:role/${namespace}-${name}`;
      if (i % 4 === 1) annotations['eks.amazonaws.com/sts-regional-endpoints'] = 'true';
      if (i % 8 === 3) annotations['eks.amazonaws.com/token-expiration'] = '3600';
      serviceAccounts.push({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace, uid: `00000000-0000-4000-8000-${String(serviceAccounts.length).padStart(12, '0')}`, resourceVersion: '1', annotations } });
    }
  }
  const bodies: string[] = [];
  for (let r = 0; r < count; r++) {
    const sa = serviceAccounts[Math.floor(rnd() * serviceAccounts.length)]!;
    const review = podCreateReview(pod(rnd, r, sa.metadata.namespace, sa.metadata.name), sa.metadata.namespace);
    (review.request as Record<string, unknown>).uid = `705ab4f5-6393-11e8-b7cc-${String(r).padStart(12, '0')}`;
    bodies.push(JSON.stringify(review));
  }
  return { bodies, serviceAccounts };
}
