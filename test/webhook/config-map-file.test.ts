/**
 * parseConfigMapFile: the one reader of a `pod-identity-webhook` ConfigMap file, for `irsa inject`/`exec`/`doctor`/`up`
 * and the webhook's file store. Every shape it accepts, and a clear error for everything else.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigMapConfigError, parseConfigMapFile } from '../../src/webhook/index.js';

const ARN = 'arn:aws:iam::111122223333:role/s3-reader';
const CONFIG = JSON.stringify({ 'default/app': { RoleARN: ARN, Audience: 'sts.amazonaws.com' }, '*/batch': { RoleARN: ARN } });
const configMap = (name = 'pod-identity-webhook', config = CONFIG) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'eks' }, data: { config } });
const yamlConfigMap = (name = 'pod-identity-webhook') => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: eks\ndata:\n  config: '${CONFIG}'\n`;

test('accepted shapes: bare config JSON, a ConfigMap (YAML or JSON), multi-document YAML, a List; all give the same entries', () => {
  const shapes: Array<[string, string]> = [
    ['bare config JSON', CONFIG],
    ['bare config JSON, pretty-printed', JSON.stringify(JSON.parse(CONFIG), null, 2)],
    ['ConfigMap YAML', yamlConfigMap()],
    ['ConfigMap JSON', JSON.stringify(configMap())],
    ['multi-document YAML with other objects and ConfigMaps', `kind: ServiceAccount\nmetadata: {name: app}\n---\n${yamlConfigMap('other')}---\n${yamlConfigMap()}`],
    ['List (JSON)', JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ kind: 'ServiceAccount', metadata: { name: 'x' } }, configMap()] })],
    ['ConfigMapList (YAML)', `apiVersion: v1\nkind: ConfigMapList\nitems:\n- ${JSON.stringify(configMap())}\n`],
  ];
  for (const [name, text] of shapes) {
    const { entries, warnings } = parseConfigMapFile(text, 'cm');
    assert.deepEqual(warnings, [], name);
    assert.equal(entries.exact.get('default/app')?.roleArn, ARN, name);
    assert.equal(entries.wildcard.get('batch')?.roleArn, ARN, name);
  }
});

test('empty file, comments only, or a ConfigMap without data.config: no entries', () => {
  for (const text of ['', '  \n', '# nothing yet\n', 'kind: ConfigMap\nmetadata: {name: pod-identity-webhook}\n', 'kind: ConfigMap\nmetadata: {name: pod-identity-webhook}\ndata: {other: x}\n']) {
    const { entries, warnings } = parseConfigMapFile(text, 'cm.yaml');
    assert.deepEqual([entries.exact.size, entries.prefixed.length, entries.wildcard.size, warnings], [0, 0, 0, []], JSON.stringify(text));
  }
});

test('a malformed key is skipped with a warning naming the file; the rest loads', () => {
  const bare = parseConfigMapFile(JSON.stringify({ broken: {}, 'default/app': { RoleARN: ARN } }), 'bare.json');
  assert.equal(bare.entries.exact.get('default/app')?.roleArn, ARN);
  assert.deepEqual(bare.warnings, ['bare.json: config key "broken": expected "namespace/serviceaccount" (skipped)']);
  const wrapped = parseConfigMapFile(JSON.stringify(configMap('pod-identity-webhook', JSON.stringify({ broken: {} }))), 'cm.json');
  assert.deepEqual(wrapped.warnings, ['cm.json: data.config: config key "broken": expected "namespace/serviceaccount" (skipped)']);
});

test('refused, with the file, the document and the fix: exit 2, ConfigMapConfigError', () => {
  const cases: Array<[string, RegExp]> = [
    ['kind: ConfigMap\nmetadata: [oops\n', /^cm, document 1: invalid YAML \(line \d+, column \d+\)/],
    ['{"default/app": ', /^cm, document 1: invalid JSON/],
    [yamlConfigMap('my-config'), /^cm: holds ConfigMap "my-config", not pod-identity-webhook; the webhook reads only the ConfigMap named pod-identity-webhook/],
    ['kind: ServiceAccount\nmetadata: {name: app}\n', /^cm: no ConfigMap named pod-identity-webhook; .*or give the bare data\.config JSON as the whole file/],
    ['default/app: {RoleARN: x}\n', /^cm: no ConfigMap named pod-identity-webhook/],
    [`${yamlConfigMap()}---\n${yamlConfigMap()}`, /^cm: holds 2 ConfigMaps named pod-identity-webhook \(documents 1, 2\); keep one/],
    ['kind: ConfigMap\nmetadata: {name: pod-identity-webhook}\ndata: {config: "{nope"}\n', /^cm, document 1: data\.config: config is not valid JSON/],
    ['kind: ConfigMap\nmetadata: {name: pod-identity-webhook}\ndata:\n  config: {a: 1}\n', /^cm, document 1: data\.config: must be a string holding JSON/],
    ['kind: ConfigMap\nmetadata: {name: pod-identity-webhook}\ndata: [a]\n', /^cm, document 1: data: must be a mapping/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseConfigMapFile(text, 'cm'), (err: unknown) => {
      assert.ok(err instanceof ConfigMapConfigError, `${JSON.stringify(text)}: ${String(err)}`);
      assert.equal(err.exitCode, 2);
      assert.match(err.message, message, JSON.stringify(text));
      return true;
    });
  }
});
