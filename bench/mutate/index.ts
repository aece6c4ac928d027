/**
 * bench/mutate: admissions per second for a realistic pod (3 containers, 2 init containers, 15 env vars each,
 * probes, resources) through the work the webhook does per request — parse the AdmissionReview JSON, resolve the
 * identity, mutatePod, serialise the patch (base64 in the AdmissionReview response), with the webhook's own
 * decodeAdmissionReview / encodeAdmissionReview, and the server's fast path (scanAdmissionReview) — against the floor any
 * JavaScript webhook pays: JSON.parse + JSON.stringify of the same AdmissionReview, measured in the same run.
 */
import { performance } from 'node:perf_hooks';
import { buildServiceAccountEntry, decodeAdmissionReview, defaultMutationSettings, encodeAdmissionReview, mutatePod, resolveIdentity, type IdentityEntry } from '../../src/webhook/index.js';
import { scanAdmissionReview } from '../../src/webhook/review-scan.js';
import { podCreateReview } from '../admission-review.js';

function env(prefix: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (let i = 0; i < 13; i++) out.push({ name: `${prefix}_SETTING_${i}`, value: `value-${i}-${'x'.repeat(i * 3)}` });
  out.push({ name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } });
  out.push({ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } });
  return out;
}

function container(name: string, init: boolean): Record<string, unknown> {
  const c: Record<string, unknown> = {
    name,
    image: `123456789012.dkr.ecr.us-west-2.amazonaws.com/shop/${name}:1.42.7`,
    command: ['/bin/app'],
    args: ['--listen=:8080', '--log-level=info', `--component=${name}`],
    ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }, { name: 'metrics', containerPort: 9090, protocol: 'TCP' }],
    env: env(name.toUpperCase().replace(/-/g, '_')),
    resources: { limits: { cpu: '1', memory: '512Mi' }, requests: { cpu: '250m', memory: '256Mi' } },
    volumeMounts: [
      { name: 'config', mountPath: '/etc/app', readOnly: true },
      { name: 'kube-api-access-x7k2p', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
    ],
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    imagePullPolicy: 'IfNotPresent',
    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } },
  };
  if (!init) {
    c.livenessProbe = { httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' }, initialDelaySeconds: 10, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 };
    c.readinessProbe = { httpGet: { path: '/readyz', port: 8080, scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 5, successThreshold: 1, failureThreshold: 3 };
    c.startupProbe = { grpc: { port: 9090 }, periodSeconds: 2, failureThreshold: 30 };
  }
  return c;
}

// Merge keys of the keyed lists in a Pod (structured-merge-diff's `k:` entries).
const LIST_KEYS: Record<string, string[]> = {
  containers: ['name'], initContainers: ['name'], env: ['name'], ports: ['containerPort', 'protocol'], volumeMounts: ['mountPath'],
  volumes: ['name'], tolerations: [], ownerReferences: ['uid'], sources: [], items: [],
};

/** `fieldsV1` of a managedFields entry for `value`, as the field manager records the fields a manager set. */
function fieldsV1(value: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) out[`f:${key}`] = fieldsV1(v);
    else if (Array.isArray(v) && LIST_KEYS[key] !== undefined && LIST_KEYS[key]!.length > 0) {
      const list: Record<string, unknown> = {};
      for (const item of v as Array<Record<string, unknown>>) {
        const k = Object.fromEntries(LIST_KEYS[key]!.map((name) => [name, item[name]]));
        list[`k:${JSON.stringify(k)}`] = { '.': {}, ...fieldsV1(item) };
      }
      out[`f:${key}`] = list;
    } else out[`f:${key}`] = {};
  }
  return out;
}

/**
 * An AdmissionReview as kube-apiserver sends it for a pod created by a ReplicaSet: the field manager runs before
 * admission, so the object already carries its managedFields entry.
 */
export function admissionReview(): Record<string, unknown> {
  const pod = {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: {
      generateName: 'checkout-7d9f8b6c5d-',
      namespace: 'shop',
      creationTimestamp: null,
      labels: { app: 'checkout', 'pod-template-hash': '7d9f8b6c5d', 'app.kubernetes.io/part-of': 'shop' },
      annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-11-28T10:00:00Z', 'prometheus.io/scrape': 'true' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'checkout-7d9f8b6c5d', uid: '3c1f9a52-2b1e-4a55-9a0b-0c6f9d1e2a11', controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      volumes: [
        { name: 'config', configMap: { name: 'checkout-config', defaultMode: 420 } },
        { name: 'kube-api-access-x7k2p', projected: { sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }, { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }, { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } }], defaultMode: 420 } },
      ],
      initContainers: [container('migrate', true), container('log-shipper', true)],
      containers: [container('checkout', false), container('envoy', false), container('otel-agent', false)],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: 'checkout',
      serviceAccount: 'checkout',
      securityContext: { fsGroup: 65534 },
      schedulerName: 'default-scheduler',
      tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
      priority: 0,
      enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority',
    },
    status: {},
  };
  (pod.spec.initContainers[1] as Record<string, unknown>).restartPolicy = 'Always';
  (pod.metadata as Record<string, unknown>).managedFields = [{
    manager: 'kube-controller-manager', operation: 'Update', apiVersion: 'v1', time: '2026-11-28T10:00:01Z', fieldsType: 'FieldsV1',
    fieldsV1: { 'f:metadata': fieldsV1({ generateName: 1, labels: pod.metadata.labels, annotations: pod.metadata.annotations, ownerReferences: pod.metadata.ownerReferences }), 'f:spec': fieldsV1(pod.spec) },
  }];
  return podCreateReview(pod, 'shop');
}

const settings = { ...defaultMutationSettings(), awsDefaultRegion: 'us-west-2', stsRegionalEndpoint: true };
const sharing = { annotationPrefix: settings.annotationPrefix, awsDefaultRegion: settings.awsDefaultRegion, structuralSharing: true };
const entries = new Map<string, IdentityEntry>([
  ['shop/checkout', buildServiceAccountEntry({ namespace: 'shop', name: 'checkout', annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::111122223333:role/checkout' } }, settings)],
]);

/** The webhook's per-request work, minus HTTP: returns the response body. */
export function admit(body: string): string {
  return admitWith(body, sharing);
}

const bytes = new Map<string, Buffer>();
/** The server's path: the body as the bytes it receives, the fast-path scanner (full decode when it declines). */
export function admitFast(body: string): string {
  let b = bytes.get(body);
  if (b === undefined) bytes.set(body, (b = Buffer.from(body, 'utf8')));
  return admitWith(body, sharing, b);
}

/** The same with deep copies of the containers (mutatePod's default). */
export function admitDeepCopy(body: string): string {
  return admitWith(body, settings);
}

function admitWith(body: string, mutateOptions: Parameters<typeof mutatePod>[2], raw?: Buffer): string {
  const review = (raw === undefined ? undefined : scanAdmissionReview(raw)) ?? decodeAdmissionReview(body);
  const request = review.request;
  const namespace = request.namespace ?? '';
  const spec = request.object.spec as { serviceAccountName?: string } | undefined;
  const serviceAccountName = spec?.serviceAccountName ?? '';
  const identity = resolveIdentity({
    namespace,
    serviceAccountName,
    serviceAccountEntry: entries.get(`${namespace}/${serviceAccountName}`),
    options: settings,
  });
  const { patch } = mutatePod(request.object, identity, mutateOptions);
  // The webhook's own encoder: envelope written by hand around the base64 patch.
  return encodeAdmissionReview(review, { uid: request.uid, allowed: true, patch });
}

/** The floor: JSON.parse + JSON.stringify of the same AdmissionReview. */
function floor(body: string): string {
  return JSON.stringify(JSON.parse(body));
}

function measure(fn: (body: string) => string, body: string, ms: number): number {
  let sink = 0;
  for (let i = 0; i < 200; i++) sink += fn(body).length; // warm up
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 50; i++) sink += fn(body).length;
    n += 50;
    now = performance.now();
  }
  if (sink === 0) throw new Error('unreachable');
  return n / ((now - start) / 1000);
}

function compare(label: string, body: string, ms: number, rounds: number): void {
  const best = { ours: 0, deep: 0, base: 0, fast: 0 };
  const ratios: number[] = [];
  const fastRatios: number[] = [];
  const deepRatios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const base = measure(floor, body, ms / 3);
    const ours = measure(admit, body, ms / 3);
    const deep = measure(admitDeepCopy, body, ms / 3);
    const fast = measure(admitFast, body, ms / 3);
    ratios.push(base / ours);
    fastRatios.push(base / fast);
    best.fast = Math.max(best.fast, fast);
    deepRatios.push(base / deep);
    best.ours = Math.max(best.ours, ours);
    best.deep = Math.max(best.deep, deep);
    best.base = Math.max(best.base, base);
  }
  const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
  console.log(`${label}: AdmissionReview of ${body.length} bytes; the patch re-adds 3 containers + 2 init containers (15 env vars each)`);
  console.log(`  floor  JSON.parse + JSON.stringify of the review:                       ${fmt(best.base)} ops/s`);
  console.log(`  ours   parse, resolveIdentity, mutatePod (structural sharing), response: ${fmt(best.ours)} pods/s`);
  console.log(`         same with deep-copied containers (mutatePod default):            ${fmt(best.deep)} pods/s`);
  console.log(`  server fast path: scan the bytes, mutatePod, splice raw containers:      ${fmt(best.fast)} pods/s`);
  console.log(`  cost ratio ours/floor, median of ${rounds} rounds: ${median(ratios).toFixed(2)}x (goal <= 1.00x); with deep copies: ${median(deepRatios).toFixed(2)}x; fast path: ${median(fastRatios).toFixed(2)}x`);
}

export async function run(short: boolean): Promise<void> {
  const review = admissionReview();
  const ms = short ? 600 : 3000;
  const rounds = short ? 3 : 5;
  compare('as kube-apiserver sends it (with managedFields)', JSON.stringify(review), ms, rounds);
  const object = (review.request as { object: { metadata: Record<string, unknown> } }).object;
  delete object.metadata.managedFields;
  compare('without managedFields (a smaller floor)', JSON.stringify(review), ms, rounds);
}
