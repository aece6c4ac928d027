/**
 * deploy/: every overlay renders with `kubectl kustomize`, every rendered object passes the schema check, and the
 * settings that matter hold (least-privilege RBAC, hardened pods, the webhook registration as upstream plus fixes,
 * TLS wiring for cert-manager and for `irsa webhook certs`).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { X509Certificate } from 'node:crypto';
import { parseAllDocuments } from 'yaml';
import { validateObject } from './schema.js';
import { serviceDnsNames } from '../../src/webhook/certs.js';
import { webhookCertsAction } from '../../src/cli/webhook-certs.js';

type Obj = Record<string, any>;
const repo = join(import.meta.dirname, '..', '..');

/**
 * kubectl is on every machine of this project, CI included: a missing kubectl is a broken setup, so the deploy tests
 * fail and say why instead of skipping (a skipped suite reads as green).
 */
function kubectlProblem(): string | undefined {
  const r = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    return `kubectl cannot be run (${code === 'ENOENT' ? 'not found on PATH' : (code ?? r.error.message)}): the deploy tests render deploy/ with \`kubectl kustomize\`; install kubectl (https://kubernetes.io/docs/tasks/tools/) and put it on PATH`;
  }
  if (r.status !== 0) return `\`kubectl version --client\` exited with ${r.status ?? r.signal}: ${r.stderr.trim() || r.stdout.trim()}; fix the kubectl install`;
  return undefined;
}

function render(dir: string): Obj[] {
  const out = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  return parseAllDocuments(out).map((d) => d.toJSON() as Obj).filter(Boolean);
}

const find = (objs: Obj[], kind: string, name?: string): Obj => {
  const found = objs.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name || o.metadata.name.startsWith(`${name}-`)));
  assert.equal(found.length, 1, `exactly one ${kind}${name ? ` ${name}` : ''}`);
  return found[0]!;
};

function matches(selector: Obj, labels: Record<string, string>): boolean {
  return Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
}

/** Assertions every deployable overlay must satisfy. */
function checkCommon(objs: Obj[]): { namespace: string; deployment: Obj; service: Obj; webhook: Obj } {
  const problems = objs.flatMap((o) => validateObject(o));
  assert.deepEqual(problems, [], 'every rendered object passes the schema check');

  const ns = find(objs, 'Namespace').metadata.name as string;
  for (const o of objs) if (!['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'MutatingWebhookConfiguration'].includes(o.kind)) assert.equal(o.metadata.namespace, ns, `${o.kind} ${o.metadata.name} in ${ns}`);

  // RBAC: ServiceAccounts get/list/watch cluster-wide, ConfigMaps get/list/watch in the namespace, nothing else
  const sa = find(objs, 'ServiceAccount');
  const clusterRole = find(objs, 'ClusterRole');
  assert.deepEqual(clusterRole.rules, [{ apiGroups: [''], resources: ['serviceaccounts'], verbs: ['get', 'list', 'watch'] }]);
  const role = find(objs, 'Role');
  assert.deepEqual(role.rules, [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }]);
  for (const [binding, ref] of [[find(objs, 'ClusterRoleBinding'), clusterRole], [find(objs, 'RoleBinding'), role]] as const) {
    assert.equal(binding.roleRef.name, ref.metadata.name);
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: ns }]);
  }

  // Deployment: HA, hardened, probes over HTTPS
  const deployment = find(objs, 'Deployment');
  const spec = deployment.spec;
  const pod = spec.template.spec;
  const podLabels = spec.template.metadata.labels as Record<string, string>;
  assert.equal(spec.replicas, 2);
  assert.ok(matches(spec.selector, podLabels));
  assert.equal(pod.serviceAccountName, sa.metadata.name);
  const anti = pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm;
  assert.equal(anti.topologyKey, 'kubernetes.io/hostname');
  assert.ok(matches(anti.labelSelector, podLabels), 'anti-affinity selects the webhook pods');
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
  assert.equal(pod.containers.length, 1);
  const c = pod.containers[0];
  assert.deepEqual(
    { ape: c.securityContext.allowPrivilegeEscalation, ro: c.securityContext.readOnlyRootFilesystem, nonRoot: c.securityContext.runAsNonRoot, drop: c.securityContext.capabilities.drop, seccomp: c.securityContext.seccompProfile.type },
    { ape: false, ro: true, nonRoot: true, drop: ['ALL'], seccomp: 'RuntimeDefault' },
  );
  assert.ok(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory, 'requests and a memory limit');
  // --workers matches the CPU limit: one process per whole CPU (docs/webhook-server.md, Workers).
  const cpuLimit = String(c.resources.limits.cpu);
  const cpus = cpuLimit.endsWith('m') ? Number(cpuLimit.slice(0, -1)) / 1000 : Number(cpuLimit);
  assert.ok(cpus >= 1, `a CPU limit of at least one CPU (got ${cpuLimit})`);
  assert.ok((c.args as string[]).includes(`--workers=${Math.floor(cpus)}`), `--workers=${Math.floor(cpus)} for a CPU limit of ${cpuLimit}`);
  const httpsPort = c.ports.find((p: Obj) => p.name === 'https');
  assert.ok(httpsPort.containerPort >= 1024, 'a non-root process with no capabilities binds an unprivileged port');
  assert.deepEqual([c.livenessProbe.httpGet.path, c.livenessProbe.httpGet.scheme, c.livenessProbe.httpGet.port], ['/healthz', 'HTTPS', 'https']);
  assert.deepEqual([c.readinessProbe.httpGet.path, c.readinessProbe.httpGet.scheme, c.readinessProbe.httpGet.port], ['/readyz', 'HTTPS', 'https']);
  const args = c.args as string[];
  assert.ok(args.includes('--in-cluster=false'));
  assert.ok(args.includes(`--namespace=${ns}`), '--namespace is where the ConfigMap Role applies');
  assert.ok(args.includes(`--port=${httpsPort.containerPort}`));
  const certMount = c.volumeMounts.find((m: Obj) => m.name === 'cert');
  assert.equal(certMount.readOnly, true);
  assert.ok(args.includes(`--tls-cert=${certMount.mountPath}/tls.crt`) && args.includes(`--tls-key=${certMount.mountPath}/tls.key`));

  const pdb = find(objs, 'PodDisruptionBudget');
  assert.equal(pdb.spec.minAvailable, 1);
  assert.ok(matches(pdb.spec.selector, podLabels));

  const service = find(objs, 'Service');
  assert.ok(Object.entries(service.spec.selector).every(([k, v]) => podLabels[k] === v));
  const svcPort = service.spec.ports.find((p: Obj) => p.name === 'https');
  assert.equal(svcPort.port, 443);
  assert.equal(svcPort.targetPort, 'https');

  // Registration: upstream's plus v1, reinvocation, timeout, its own namespace excluded
  const mwc = find(objs, 'MutatingWebhookConfiguration');
  assert.equal(mwc.webhooks.length, 1);
  const wh = mwc.webhooks[0];
  assert.deepEqual(wh.admissionReviewVersions, ['v1', 'v1beta1']);
  assert.equal(wh.sideEffects, 'None');
  assert.equal(wh.failurePolicy, 'Ignore');
  assert.equal(wh.reinvocationPolicy, 'IfNeeded');
  assert.ok(wh.timeoutSeconds >= 1 && wh.timeoutSeconds <= 30);
  assert.deepEqual(wh.clientConfig.service, { name: service.metadata.name, namespace: ns, path: '/mutate', port: 443 });
  assert.deepEqual(wh.rules, [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }]);
  assert.deepEqual(wh.objectSelector, { matchExpressions: [{ key: 'eks.amazonaws.com/skip-pod-identity-webhook', operator: 'DoesNotExist' }] });
  assert.deepEqual(wh.namespaceSelector, { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [ns] }] });
  return { namespace: ns, deployment, service, webhook: mwc };
}

const certVolumeSecret = (deployment: Obj): string => deployment.spec.template.spec.volumes.find((v: Obj) => v.name === 'cert').secret.secretName;

describe('deploy/ kustomize overlays', () => {
  let work: string;
  before(async () => {
    const problem = kubectlProblem();
    if (problem !== undefined) assert.fail(problem);
    work = await mkdtemp(join(tmpdir(), 'irsa-deploy-'));
    await cp(join(repo, 'deploy'), join(work, 'deploy'), { recursive: true });
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  test('cert-manager overlay: a CA issues the serving certificate for the Service names, cainjector fills the caBundle', () => {
    const objs = render(join(work, 'deploy', 'overlays', 'cert-manager'));
    const { namespace, deployment, service, webhook } = checkCommon(objs);
    const serving = objs.find((o) => o.kind === 'Certificate' && !o.spec.isCA)!;
    assert.equal(webhook.metadata.annotations['cert-manager.io/inject-ca-from'], `${namespace}/${serving.metadata.name}`);
    assert.deepEqual(serving.spec.dnsNames, serviceDnsNames(service.metadata.name, namespace));
    assert.equal(serving.spec.secretName, certVolumeSecret(deployment));
    assert.ok(serving.spec.usages.includes('server auth'));
    const caIssuer = find(objs, 'Issuer', serving.spec.issuerRef.name);
    const caCert = objs.find((o) => o.kind === 'Certificate' && o.spec.isCA)!;
    assert.equal(caIssuer.spec.ca.secretName, caCert.spec.secretName);
    assert.equal(find(objs, 'Issuer', caCert.spec.issuerRef.name).spec.selfSigned !== undefined, true);
    assert.equal(objs.filter((o) => o.kind === 'Secret').length, 0, 'no key material in the manifests');
  });

  test('self-signed overlay: fed by `irsa webhook certs`, the Secret holds the serving pair and caBundle is its CA', async () => {
    const overlay = join(work, 'deploy', 'overlays', 'self-signed');
    const out: string[] = [];
    const ctx = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: () => true }, stdin: new PassThrough(), env: {}, cwd: overlay };
    await webhookCertsAction({ out: 'certs', serviceName: 'pod-identity-webhook', namespace: 'pod-identity-webhook', days: '365', dnsName: [], ip: [], localhost: false }, ctx);
    const printedBundle = out.join('').trim();
    const objs = render(overlay);
    const { namespace, deployment, service, webhook } = checkCommon(objs);
    const bundle = (webhook.webhooks[0].clientConfig.caBundle as string).replace(/\s/g, '');
    assert.equal(bundle, printedBundle, 'the caBundle is the one `irsa webhook certs` printed');
    const ca = new X509Certificate(Buffer.from(bundle, 'base64'));
    const tlsSecret = objs.find((o) => o.kind === 'Secret' && o.type === 'kubernetes.io/tls')!;
    assert.equal(tlsSecret.metadata.name, certVolumeSecret(deployment), 'the Deployment mounts the generated (hash-named) Secret');
    const leaf = new X509Certificate(Buffer.from(tlsSecret.data['tls.crt'].replace(/\s/g, ''), 'base64'));
    assert.equal(leaf.verify(ca.publicKey), true);
    assert.equal(leaf.checkHost(`${service.metadata.name}.${namespace}.svc`), `${service.metadata.name}.${namespace}.svc`);
    assert.ok(Buffer.from(tlsSecret.data['tls.key'].replace(/\s/g, ''), 'base64').toString().includes('PRIVATE KEY'));
    const caKey = await readFile(join(overlay, 'certs', 'ca.key'), 'utf8');
    for (const secret of objs.filter((o) => o.kind === 'Secret')) {
      for (const v of Object.values(secret.data as Record<string, string>)) assert.notEqual(Buffer.from(v.replace(/\s/g, ''), 'base64').toString(), caKey, 'the CA key stays on disk');
    }
  });

  test('the self-signed overlay refuses to render without certificates (no empty TLS Secret by accident)', async () => {
    const fresh = await mkdtemp(join(tmpdir(), 'irsa-deploy-nocerts-'));
    try {
      await cp(join(repo, 'deploy'), join(fresh, 'deploy'), { recursive: true });
      await rm(join(fresh, 'deploy', 'overlays', 'self-signed', 'certs'), { recursive: true, force: true });
      assert.throws(() => render(join(fresh, 'deploy', 'overlays', 'self-signed')), /tls\.crt|no such file/);
    } finally {
      await rm(fresh, { recursive: true, force: true });
    }
  });

  test('optional NetworkPolicy component: only the API server reaches the webhook port, the pods it selects are the webhook\'s', async () => {
    const overlay = join(work, 'deploy', 'overlays', 'with-network-policy');
    await mkdir(overlay, { recursive: true });
    await writeFile(join(overlay, 'kustomization.yaml'), 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../cert-manager\ncomponents:\n  - ../../components/network-policy\n');
    const objs = render(overlay);
    const { namespace, deployment } = checkCommon(objs.filter((o) => o.kind !== 'NetworkPolicy'));
    assert.deepEqual(objs.flatMap((o) => validateObject(o)), []);
    const policy = find(objs, 'NetworkPolicy');
    assert.equal(policy.metadata.namespace, namespace);
    assert.ok(matches(policy.spec.podSelector, deployment.spec.template.metadata.labels), 'selects the webhook pods');
    assert.deepEqual(policy.spec.policyTypes, ['Ingress']);
    const c = deployment.spec.template.spec.containers[0];
    const https = c.ports.find((p: Obj) => p.name === 'https').containerPort;
    const metricsPort = c.ports.find((p: Obj) => p.name === 'metrics').containerPort;
    const toWebhook = policy.spec.ingress.filter((r: Obj) => r.ports.some((p: Obj) => p.port === https));
    assert.equal(toWebhook.length, 1, 'one rule for the webhook port');
    assert.deepEqual(toWebhook[0].ports, [{ protocol: 'TCP', port: https }], 'that rule opens nothing else');
    assert.ok(toWebhook[0].from.length > 0 && toWebhook[0].from.every((f: Obj) => f.ipBlock !== undefined && Object.keys(f).length === 1), 'only API server addresses (ipBlock), never all pods or namespaces');
    for (const rule of policy.spec.ingress) assert.ok(rule.from?.length > 0 && rule.ports?.length > 0, 'no rule admits every source or every port');
    assert.ok(policy.spec.ingress.some((r: Obj) => r.ports.some((p: Obj) => p.port === metricsPort)), 'metrics scraping keeps a rule');
    // The base overlays do not include it: optional, because it depends on the CNI and on the API server's addresses.
    assert.equal(render(join(work, 'deploy', 'overlays', 'cert-manager')).filter((o) => o.kind === 'NetworkPolicy').length, 0);
  });

  test('the schema check catches what it should', () => {
    const objs = render(join(work, 'deploy', 'overlays', 'cert-manager'));
    const d = structuredClone(find(objs, 'Deployment'));
    d.spec.template.spec.containers[0].securityContext.readOnlyRootFilesytem = true; // typo
    d.spec.replicas = '2';
    const problems = validateObject(d).join('\n');
    assert.match(problems, /unknown field readOnlyRootFilesytem/);
    assert.match(problems, /replicas: expected integer, got string/);
    assert.match(validateObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } }).join(), /no schema/);
  });
});
