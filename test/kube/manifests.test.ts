import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  applyAdditions,
  documentValue,
  findPods,
  loadServiceAccountFiles,
  ManifestError,
  parseManifests,
  podServiceAccount,
  parseServiceAccount,
  parseServiceAccountManifests,
  stringifyManifests,
} from '../../src/kube/index.js';

const pod = { metadata: { name: 'p' }, spec: { containers: [{ name: 'a' }] } };
const template = { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'a' }] } };

test('findPods: every workload kind, List items, namespaces', () => {
  const cases: Array<[Record<string, unknown>, Array<Array<string | number>>]> = [
    [{ kind: 'Pod', ...pod }, [[]]],
    ...['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'ReplicationController'].map((kind): [Record<string, unknown>, Array<Array<string | number>>] => [{ kind, metadata: { name: 'w' }, spec: { template } }, [['spec', 'template']]]),
    [{ kind: 'CronJob', metadata: { name: 'c' }, spec: { jobTemplate: { spec: { template } } } }, [['spec', 'jobTemplate', 'spec', 'template']]],
    [{ kind: 'PodTemplate', metadata: { name: 't' }, template }, [['template']]],
    [{ kind: 'Service', metadata: { name: 's' } }, []],
    [{ kind: 'ServiceAccount', metadata: { name: 's' } }, []],
    [{ kind: 'List', items: [{ kind: 'Pod', ...pod }, { kind: 'ConfigMap' }, { kind: 'Job', spec: { template } }] }, [['items', 0], ['items', 2, 'spec', 'template']]],
    [{ kind: 'DeploymentList', items: [{ kind: 'Deployment', spec: { template } }] }, [['items', 0, 'spec', 'template']]],
  ];
  for (const [value, paths] of cases) assert.deepEqual(findPods(value, 'f.yaml', 0).map((l) => l.path), paths, String(value.kind));
  const [loc] = findPods({ kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' }, spec: { template } }, 'f', 0);
  assert.deepEqual([loc!.namespace, loc!.name], ['shop', 'Deployment/web']);
  assert.deepEqual(findPods(null, 'f', 0), []);
});

test('findPods: errors name the source, the document and the field', () => {
  const check = (value: unknown, pattern: RegExp) => assert.throws(() => findPods(value, 'app.yaml', 2), (err: unknown) => err instanceof ManifestError && err.exitCode === 2 && pattern.test(err.message));
  check({ metadata: { name: 'x' } }, /^app\.yaml, document 3: kind: missing/);
  check({ kind: 5 }, /kind: must be a string/);
  check('text', /expected a Kubernetes object/);
  check({ kind: 'Deployment', spec: {} }, /spec\.template: Deployment has no pod template/);
  check({ kind: 'CronJob', spec: { jobTemplate: {} } }, /spec\.jobTemplate\.spec\.template: CronJob has no pod template/);
  check({ kind: 'List', items: [{ kind: 'Pod' }, { nokind: 1 }] }, /items\[1\]\.kind: missing/);
  check({ kind: 'Pod', spec: 'x' }, /spec: must be a mapping/);
});

test('parseManifests: YAML errors carry the line; JSON streams; empty input', () => {
  assert.throws(() => parseManifests('kind: Pod\n---\nkind: [unclosed\n', 'bad.yaml'), /^Error|bad\.yaml, document 2: invalid YAML \(line \d+, column \d+\)/);
  assert.throws(() => parseManifests('kind: Pod\n---\nkind: [unclosed\n', 'bad.yaml'), (err: unknown) => err instanceof ManifestError && err.documentIndex === 1);
  const json = parseManifests('{"kind":"Pod","metadata":{"name":"a"}}\n{"kind":"Service","metadata":{"name":"s{"}}\n', 'x.json');
  assert.equal(json.format, 'json');
  assert.deepEqual(json.documents.map(documentValue).map((v) => (v as { kind: string }).kind), ['Pod', 'Service']);
  assert.throws(() => parseManifests('{"kind":"Pod"}\n{"kind":', 'x.json'), /x\.json, document 2: invalid JSON/);
  assert.deepEqual(parseManifests('', 'empty.yaml').documents.length, 0);
  // YAML in flow style is YAML, not broken JSON; a comment-only stream is kept.
  const flow = parseManifests('{kind: Pod, metadata: {name: a}}\n', 'flow.yaml');
  assert.deepEqual([flow.format, documentValue(flow.documents[0]!)], ['yaml', { kind: 'Pod', metadata: { name: 'a' } }]);
  assert.equal(stringifyManifests(parseManifests('# only a comment\n', 'c.yaml').documents, 'yaml'), '# only a comment\n');
  // Duplicate keys are accepted (upstream fixtures have them); the last one wins, as with kubectl.
  assert.equal((documentValue(parseManifests('kind: Pod\nkind: Job\n', 'd.yaml').documents[0]!) as { kind: string }).kind, 'Job');
});

test('edits keep comments, key order, quoting and untouched documents byte for byte', () => {
  const text = [
    '# leading comment',
    'apiVersion: v1',
    'kind: ConfigMap   # untouched, spacing kept',
    'data: {a: "1"}',
    '---',
    '# the app',
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: web # name',
    'spec:',
    '  selector:',
    '    matchLabels: {app: web}',
    '  template:',
    '    metadata:',
    '      labels:',
    '        app: web',
    '    spec:',
    '      containers:',
    '      - name: app  # main container',
    '        image: "nginx"',
    '        env:',
    '        - name: FOO',
    "          value: 'bar'",
    '',
  ].join('\n');
  const set = parseManifests(text, 'app.yaml');
  const [cm, deploy] = set.documents;
  applyAdditions(deploy!, ['spec', 'template'], [
    { op: 'add', path: '/metadata/labels/eks.amazonaws.com~1pod-identity', value: 'enabled' },
    { op: 'add', path: '/spec/volumes', value: [{ name: 'aws-iam-token', projected: { sources: [{ serviceAccountToken: { audience: 'sts.amazonaws.com', expirationSeconds: 86400, path: 'token' } }] } }] },
    { op: 'add', path: '/spec/containers', value: [{ name: 'app', image: 'nginx', env: [{ name: 'FOO', value: 'bar' }, { name: 'AWS_ROLE_ARN', value: 'arn:aws:iam::111122223333:role/r' }], volumeMounts: [{ name: 'aws-iam-token', readOnly: true, mountPath: '/m' }] }] },
  ]);
  assert.equal(cm!.changed, false);
  const out = stringifyManifests(set.documents, 'yaml');
  assert.ok(out.startsWith('# leading comment\napiVersion: v1\nkind: ConfigMap   # untouched, spacing kept\ndata: {a: "1"}\n---\n'), out);
  for (const kept of ['# the app', 'name: web # name', 'matchLabels: {app: web}', '- name: app # main container', 'image: "nginx"', "value: 'bar'", '      - name: FOO']) {
    assert.ok(out.includes(kept), `kept ${JSON.stringify(kept)} in\n${out}`);
  }
  assert.ok(out.includes('        eks.amazonaws.com/pod-identity: enabled\n'));
  assert.ok(out.includes('        - name: AWS_ROLE_ARN\n          value: arn:aws:iam::111122223333:role/r\n'), out);
  const value = documentValue(parseManifests(out, 'again').documents[1]!) as { spec: { template: { spec: { containers: Array<{ env: unknown[] }> } } } };
  assert.equal(value.spec.template.spec.containers[0]!.env.length, 2);
  assert.equal(stringifyManifests(parseManifests(text, 'x').documents, 'yaml'), text, 'no edits: identical output');
});

test('applyAdditions goes through an empty key (a null node) as through a missing one', () => {
  const set = parseManifests('kind: Pod\nmetadata:   # empty\nspec:\n', 'p.yaml');
  applyAdditions(set.documents[0]!, [], [
    { op: 'add', path: '/metadata/labels', value: { a: 'b' } },
    { op: 'add', path: '/spec/volumes', value: [{ name: 'v' }] },
  ]);
  assert.deepEqual(documentValue(set.documents[0]!), { kind: 'Pod', metadata: { labels: { a: 'b' } }, spec: { volumes: [{ name: 'v' }] } });
});

test('stringifyManifests converts between YAML and JSON', () => {
  const set = parseManifests('kind: Pod\nmetadata: {name: a}\n---\n---\nkind: Service\n', 's.yaml');
  assert.equal(stringifyManifests(set.documents, 'json'), '{\n  "kind": "Pod",\n  "metadata": {\n    "name": "a"\n  }\n}\n{\n  "kind": "Service"\n}\n');
  const json = parseManifests('{"kind":"Pod","metadata":{"name":"a"}}', 'p.json');
  assert.equal(stringifyManifests(json.documents, 'yaml'), 'kind: Pod\nmetadata:\n  name: a\n');
});

test('podServiceAccount: the namespace and ServiceAccount a Pod manifest runs as, empty strings unset', () => {
  assert.deepEqual(podServiceAccount({ metadata: { namespace: 'prod' }, spec: { serviceAccountName: 'app' } }, 'dev'), { namespace: 'prod', name: 'app' });
  assert.deepEqual(podServiceAccount({ spec: { serviceAccount: 'legacy' } }, 'dev'), { namespace: 'dev', name: 'legacy' });
  assert.deepEqual(podServiceAccount({ metadata: { namespace: '' }, spec: { serviceAccountName: '', serviceAccount: 'legacy' } }, 'dev'), { namespace: 'dev', name: 'legacy' });
  assert.deepEqual(podServiceAccount({ spec: { serviceAccountName: 'new', serviceAccount: 'old' } }, 'dev'), { namespace: 'dev', name: 'new' });
  assert.deepEqual(podServiceAccount({ metadata: [], spec: { serviceAccountName: 7 } }, 'dev'), { namespace: 'dev', name: 'default' });
  assert.deepEqual(podServiceAccount(null, 'dev'), { namespace: 'dev', name: 'default' });
});

test('parseServiceAccount keeps only the prefixed annotations', () => {
  const manifest = { kind: 'ServiceAccount', metadata: { name: 'app', namespace: 'ns', uid: 'u1', annotations: { 'eks.amazonaws.com/role-arn': 'arn', 'eks.amazonaws.com.evil/x': 'no', 'kubectl.kubernetes.io/last-applied-configuration': '{}' } } };
  assert.deepEqual(parseServiceAccount(manifest, 'eks.amazonaws.com'), { namespace: 'ns', name: 'app', uid: 'u1', annotations: { 'eks.amazonaws.com/role-arn': 'arn' } });
  assert.deepEqual(parseServiceAccount({ metadata: { name: 'x' } }, 'p', 'default'), { namespace: 'default', name: 'x', annotations: {} });
  for (const bad of [null, [], { kind: 'Pod', metadata: { name: 'x' } }, { kind: 'ServiceAccount' }, { kind: 'ServiceAccount', metadata: { name: '' } }]) {
    assert.equal(parseServiceAccount(bad, 'p'), undefined);
  }
});

test('ServiceAccount manifest files: file, directory, List, hidden entries skipped, later wins', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'irsa-sa-'));
  const sa = (name: string, role: string, ns?: string) => `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ${name}\n${ns ? `  namespace: ${ns}\n` : ''}  annotations:\n    eks.amazonaws.com/role-arn: ${role}\n`;
  writeFileSync(join(dir, 'a.yaml'), `${sa('app', 'arn:a')}---\nkind: Deployment\nmetadata: {name: x}\n`);
  writeFileSync(join(dir, 'b.json'), JSON.stringify({ kind: 'List', items: [{ kind: 'ServiceAccount', metadata: { name: 'app', annotations: { 'eks.amazonaws.com/role-arn': 'arn:b' } } }, { kind: 'ServiceAccount', metadata: { name: 'other', namespace: 'shop' } }] }));
  writeFileSync(join(dir, 'notes.txt'), 'kind: [broken');
  mkdirSync(join(dir, '..data'));
  writeFileSync(join(dir, '..data', 'c.yaml'), 'kind: [broken');
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'sub', 'c.yml'), sa('deep', 'arn:c', 'team'));
  const all = await loadServiceAccountFiles(dir, 'eks.amazonaws.com');
  assert.deepEqual(all.map((s) => `${s.namespace}/${s.name}=${s.annotations['eks.amazonaws.com/role-arn'] ?? ''}`).sort(), ['default/app=arn:b', 'shop/other=', 'team/deep=arn:c']);
  assert.equal((await loadServiceAccountFiles(join(dir, 'a.yaml'), 'eks.amazonaws.com', { defaultNamespace: 'ns1' }))[0]!.namespace, 'ns1');
  await assert.rejects(loadServiceAccountFiles(join(dir, 'missing'), 'p'), /missing: cannot read ServiceAccount manifests: no such file or directory/);
  writeFileSync(join(dir, 'z.yaml'), 'kind: ServiceAccount\n  bad: indent\n');
  await assert.rejects(loadServiceAccountFiles(dir, 'p'), (err: unknown) => err instanceof ManifestError && err.message.startsWith(join(dir, 'z.yaml')));
  assert.deepEqual(parseServiceAccountManifests('', 'e', 'p'), []);
});
