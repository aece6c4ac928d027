import { podCreateReview } from '../admission-review.js';

/**
 * A realistic AdmissionReview as an API server sends it for a Deployment's pod: two containers and an init
 * container with env, ports, probes, resources and mounts, owner references, tolerations (about 4 KB).
 */
export function realisticReview(serviceAccountName: string): Record<string, unknown> {
  const container = (name: string, image: string) => ({
    name,
    image,
    ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
    env: [
      { name: 'LOG_LEVEL', value: 'info' },
      { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } },
    ],
    resources: { limits: { cpu: '500m', memory: '512Mi' }, requests: { cpu: '100m', memory: '128Mi' } },
    volumeMounts: [
      { name: 'config', mountPath: '/etc/app', readOnly: true },
      { name: 'kube-api-access-x7k2p', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
    ],
    livenessProbe: { httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' }, initialDelaySeconds: 10, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
    readinessProbe: { httpGet: { path: '/ready', port: 8080, scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 5, successThreshold: 1, failureThreshold: 3 },
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    imagePullPolicy: 'IfNotPresent',
    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
  });
  return podCreateReview(
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName: 'checkout-7d9c6b5f8-',
        namespace: 'shop',
        labels: { app: 'checkout', 'pod-template-hash': '7d9c6b5f8', 'app.kubernetes.io/part-of': 'shop' },
        annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8080' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'checkout-7d9c6b5f8', uid: '0f6b7c1e-3d2a-4b5c-8e9f-1a2b3c4d5e6f', controller: true, blockOwnerDeletion: true }],
      },
      spec: {
        volumes: [
          { name: 'config', configMap: { name: 'checkout-config', defaultMode: 420 } },
          { name: 'kube-api-access-x7k2p', projected: { sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }, { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }, { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } }], defaultMode: 420 } },
        ],
        initContainers: [{ ...container('migrate', 'registry.example.com/shop/checkout-migrate:1.42.0'), ports: undefined, livenessProbe: undefined, readinessProbe: undefined }],
        containers: [container('checkout', 'registry.example.com/shop/checkout:1.42.0'), container('envoy', 'envoyproxy/envoy:v1.31.0')],
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
      },
      status: {},
    },
    'shop',
  );
}
