import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ServiceAccountInfo } from '../../src/kube/service-account.js';
import {
  buildServiceAccountEntry,
  ContainerCredentialsConfigError,
  defaultMutationSettings,
  parseConfigMapConfig,
  parseContainerCredentialsConfig,
  resolveIdentity,
  type ResolveIdentityInput,
} from '../../src/webhook/index.js';

const ROLE = 'arn:aws:iam::111122223333:role/s3-reader';
const settings = defaultMutationSettings();
const sa = (annotations: Record<string, string>, namespace = 'default', name = 'app'): ServiceAccountInfo => ({ namespace, name, annotations });
const p = (key: string): string => `eks.amazonaws.com/${key}`;

test('buildServiceAccountEntry: flags, overridden by parseable annotations', () => {
  assert.deepEqual(buildServiceAccountEntry(sa({ [p('role-arn')]: ROLE }), settings), { roleArn: ROLE, audience: 'sts.amazonaws.com', useRegionalSts: false, tokenExpiration: 86400 });
  assert.deepEqual(
    buildServiceAccountEntry(sa({ [p('role-arn')]: ROLE, [p('audience')]: 'custom', [p('sts-regional-endpoints')]: 'true', [p('token-expiration')]: '3600' }), settings),
    { roleArn: ROLE, audience: 'custom', useRegionalSts: true, tokenExpiration: 3600 },
  );
  // Clamped to 600 (annotation and flag), unparseable ignored, empty audience kept.
  for (const [value, want] of [['0', 600], ['-5', 600], ['100', 600], ['600', 600], ['+7200', 7200], ['1h', 86400], ['', 86400], [' 3600', 86400]] as const) {
    assert.equal(buildServiceAccountEntry(sa({ [p('token-expiration')]: value }), settings).tokenExpiration, want, value);
  }
  assert.equal(buildServiceAccountEntry(sa({}), { ...settings, tokenExpiration: 100 }).tokenExpiration, 600);
  assert.equal(buildServiceAccountEntry(sa({ [p('audience')]: '' }), settings).audience, '');
  assert.equal(buildServiceAccountEntry(sa({}), settings).roleArn, '');
});

test('buildServiceAccountEntry: sts-regional-endpoints annotation beats the flag both ways (upstream TestNonRegionalSTS)', () => {
  const cases: Array<[string | undefined, boolean, boolean]> = [
    ['true', false, true], ['true', true, true], ['false', false, false], ['false', true, false],
    ['', false, false], ['', true, true], [undefined, false, false], [undefined, true, true],
  ];
  for (const [annotation, flag, want] of cases) {
    const annotations = annotation === undefined ? {} : { [p('sts-regional-endpoints')]: annotation };
    assert.equal(buildServiceAccountEntry(sa(annotations), { ...settings, stsRegionalEndpoint: flag }).useRegionalSts, want, `${annotation} / ${flag}`);
  }
});

test('buildServiceAccountEntry: annotation prefix and --compose-role-arn', () => {
  const custom = { ...settings, annotationPrefix: 'irsa.example.com' };
  assert.equal(buildServiceAccountEntry(sa({ 'irsa.example.com/role-arn': ROLE }), custom).roleArn, ROLE);
  assert.equal(buildServiceAccountEntry(sa({ [p('role-arn')]: ROLE }), custom).roleArn, '');
  const compose = { ...settings, composeRoleArn: { partition: 'aws-cn', accountId: '111122223333' } };
  assert.equal(buildServiceAccountEntry(sa({ [p('role-arn')]: 's3-reader' }), compose).roleArn, 'arn:aws-cn:iam::111122223333:role/s3-reader');
  assert.equal(buildServiceAccountEntry(sa({ [p('role-arn')]: 'path/to/s3-reader' }), compose).roleArn, 'arn:aws-cn:iam::111122223333:role/path/to/s3-reader');
  assert.equal(buildServiceAccountEntry(sa({ [p('role-arn')]: ROLE }), compose).roleArn, ROLE);
});

test('parseConfigMapConfig: exact, prefix and * keys; values verbatim; Go case-insensitive field names', () => {
  const { entries, errors } = parseConfigMapConfig(JSON.stringify({
    'default/app': { RoleARN: 'arn:exact', Audience: 'amazonaws.com', UseRegionalSTS: true, TokenExpiration: 0 },
    '*/app': { rolearn: 'arn:star', TOKENEXPIRATION: 100 },
    'test-*/app': { RoleARN: 'arn:prefix' },
    'test-long-*/app': { RoleARN: 'arn:longer-prefix', Unknown: 1 },
  }));
  assert.deepEqual(errors, []);
  assert.deepEqual(entries.exact.get('default/app'), { roleArn: 'arn:exact', audience: 'amazonaws.com', useRegionalSts: true, tokenExpiration: 0 });
  assert.deepEqual(entries.wildcard.get('app'), { roleArn: 'arn:star', audience: '', useRegionalSts: false, tokenExpiration: 100 });
  assert.deepEqual(entries.prefixed.map((e) => e.namespacePrefix), ['test-long-', 'test-']);
});

test('parseConfigMapConfig: bad input never throws', () => {
  assert.match(parseConfigMapConfig('{nope').errors[0]!, /not valid JSON/);
  assert.match(parseConfigMapConfig('{nope').syntaxError ?? '', /JSON/, 'invalid JSON is told apart from skipped keys');
  assert.match(parseConfigMapConfig('[1]').errors[0]!, /must be a JSON object/);
  assert.equal(parseConfigMapConfig('[1]').syntaxError, undefined);
  const r = parseConfigMapConfig('{"noslash":{"RoleARN":"x"},"a/b":{"RoleARN":5},"c/d":"str","e/f":{"RoleARN":"ok"},"g/h":{"TokenExpiration":1.5}}');
  assert.equal(r.errors.length, 4);
  assert.match(r.errors[0]!, /"noslash": expected "namespace\/serviceaccount"/);
  assert.deepEqual([...r.entries.exact.keys()], ['e/f']);
  assert.deepEqual(parseConfigMapConfig('null').errors, []);
  // Extra path parts are ignored, as Go's strings.Split(key, "/")[0:2].
  assert.ok(parseConfigMapConfig('{"a/b/c":{"RoleARN":"x"}}').entries.exact.has('a/b'));
});

test('parseContainerCredentialsConfig', () => {
  const c = parseContainerCredentialsConfig('{"identities":[{"namespace":"default","serviceAccount":"app"},{"Namespace":"b","ServiceAccount":"c","extra":1}]}');
  assert.deepEqual([...c.identities], ['default/app', 'b/c']);
  assert.equal(parseContainerCredentialsConfig('').identities.size, 0);
  assert.equal(parseContainerCredentialsConfig('  \n').identities.size, 0);
  assert.equal(parseContainerCredentialsConfig('{}').identities.size, 0);
  assert.equal(parseContainerCredentialsConfig('null').identities.size, 0);
  for (const bad of ['{', '[]', '{"identities":{}}', '{"identities":[1]}', '{"identities":[{"namespace":1}]}']) {
    assert.throws(() => parseContainerCredentialsConfig(bad), (err: unknown) => err instanceof ContainerCredentialsConfigError && err.code === 'ERR_CONTAINER_CREDENTIALS_CONFIG', bad);
  }
});

const cm = parseConfigMapConfig(JSON.stringify({
  'default/app': { RoleARN: 'arn:cm-exact', Audience: 'cm-aud', UseRegionalSTS: true, TokenExpiration: 0 },
  'test-*/app': { RoleARN: 'arn:cm-prefix', TokenExpiration: 100 },
  '*/app': { RoleARN: 'arn:cm-star', TokenExpiration: 5000 },
  'other/app': { RoleARN: '' },
})).entries;
const resolve = (over: Partial<ResolveIdentityInput>) => resolveIdentity({ namespace: 'default', serviceAccountName: 'app', options: settings, ...over });

test('resolveIdentity: SA annotation > ConfigMap exact > prefix > *', () => {
  assert.equal(resolve({ serviceAccount: sa({ [p('role-arn')]: ROLE }), configMap: cm })?.roleArn, ROLE);
  assert.equal(resolve({ serviceAccount: sa({ [p('role-arn')]: ROLE }), configMap: cm })?.source, 'service-account');
  // An SA without a role falls through to the ConfigMap; values verbatim, TokenExpiration 0 = the flag.
  const exact = resolve({ serviceAccount: sa({}), configMap: cm })!;
  assert.deepEqual([exact.source, exact.roleArn, exact.audience, exact.useRegionalSts, exact.tokenExpiration], ['config-map', 'arn:cm-exact', 'cm-aud', true, 86400]);
  assert.equal(resolve({ configMap: cm, options: { ...settings, tokenExpiration: 7200 } })?.tokenExpiration, 7200);
  const prefix = resolve({ namespace: 'test-a', configMap: cm })!;
  assert.deepEqual([prefix.source, prefix.roleArn, prefix.audience, prefix.tokenExpiration], ['config-map-prefix', 'arn:cm-prefix', '', 100]); // no clamp, no audience default
  assert.equal(resolve({ namespace: 'prod', configMap: cm })?.source, 'config-map-wildcard');
  assert.equal(resolve({ namespace: 'prod', configMap: cm })?.tokenExpiration, 5000);
  assert.equal(resolve({ namespace: 'test', configMap: cm })?.roleArn, 'arn:cm-star'); // "test" does not start with "test-"
  assert.equal(resolve({ namespace: 'other', configMap: cm }), undefined); // exact entry with an empty role: no mutation
  assert.equal(resolve({ serviceAccountName: 'nobody', configMap: cm }), undefined);
  assert.equal(resolve({ serviceAccountName: '', configMap: cm }), undefined);
  assert.equal(resolve({ serviceAccount: sa({}) }), undefined);
  assert.equal(resolve({}), undefined);
});

test('resolveIdentity: web identity fields', () => {
  const id = resolve({ serviceAccount: sa({ [p('role-arn')]: ROLE, [p('token-expiration')]: '3600' }), options: { ...settings, tokenMountPath: '/m' } })!;
  assert.deepEqual(id, {
    mode: 'web-identity', source: 'service-account', roleArn: ROLE, fullUri: '', audience: 'sts.amazonaws.com', useRegionalSts: false,
    tokenExpiration: 3600, volumeName: 'aws-iam-token', mountPath: '/m', tokenPath: 'token',
  });
  // A prebuilt entry wins over the SA.
  const entry = { roleArn: 'arn:prebuilt', audience: 'a', useRegionalSts: true, tokenExpiration: 1234 };
  assert.equal(resolve({ serviceAccount: sa({ [p('role-arn')]: ROLE }), serviceAccountEntry: entry })?.roleArn, 'arn:prebuilt');
});

test('resolveIdentity: container credentials win, with GetCommonConfigurations semantics', () => {
  const cc = parseContainerCredentialsConfig('{"identities":[{"namespace":"default","serviceAccount":"app"},{"namespace":"x","serviceAccount":"y"}]}');
  const withSa = resolve({ containerCredentials: cc, serviceAccount: sa({ [p('role-arn')]: ROLE, [p('sts-regional-endpoints')]: 'true', [p('token-expiration')]: '10000' }) })!;
  assert.deepEqual(withSa, {
    mode: 'container-credentials', source: 'container-credentials', roleArn: '', fullUri: 'http://169.254.170.23/v1/credentials',
    audience: 'pods.eks.amazonaws.com', useRegionalSts: true, tokenExpiration: 10000, volumeName: 'eks-pod-identity-token',
    mountPath: '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount', tokenPath: 'eks-pod-identity-token',
  });
  // SA known without annotations: the flags apply.
  const flags = { ...settings, stsRegionalEndpoint: true, tokenExpiration: 4000 };
  assert.deepEqual(pick(resolve({ containerCredentials: cc, serviceAccount: sa({}), options: flags })!), [true, 4000]);
  // SA unknown: (false, 86400) whatever the flags; an exact ConfigMap entry is used, a wildcard one is not.
  assert.deepEqual(pick(resolve({ namespace: 'x', serviceAccountName: 'y', containerCredentials: cc, options: flags })!), [false, 86400]);
  assert.deepEqual(pick(resolve({ containerCredentials: cc, configMap: cm, options: flags })!), [true, 4000]);
  const wildOnly = parseConfigMapConfig('{"*/y":{"RoleARN":"r","UseRegionalSTS":true,"TokenExpiration":999}}').entries;
  assert.deepEqual(pick(resolve({ namespace: 'x', serviceAccountName: 'y', containerCredentials: cc, configMap: wildOnly })!), [false, 86400]);
  // Not listed: web identity as usual.
  assert.equal(resolve({ serviceAccountName: 'other', containerCredentials: cc, serviceAccount: sa({ [p('role-arn')]: ROLE }, 'default', 'other') })?.mode, 'web-identity');
});

function pick(id: { useRegionalSts: boolean; tokenExpiration: number }): [boolean, number] {
  return [id.useRegionalSts, id.tokenExpiration];
}
