import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse, stringify } from 'yaml';
import {
  buildCredentialsConfig,
  buildCredentialsSecret,
  parseCredentialsRequests,
  parseProviderArn,
  planCredentialsRequestRole,
  renderCredentialsSecretYaml,
  skipReason,
  type CredentialsRequest,
} from '../../src/kube/index.js';
import { FieldError } from '../../src/lib/errors.js';
import { ManifestError } from '../../src/kube/errors.js';
import { tempDir } from '../oidc/helpers.js';
import { clientUnavailable, skipOrFail } from '../outside-client.js';

const dir = tempDir();
const ROLE = 'arn:aws:iam::123456789012:role/mycluster-openshift-ingress-operator-cloud-credentials';
const PROVIDER = 'arn:aws:iam::123456789012:oidc-provider/mycluster-oidc.s3.us-east-1.amazonaws.com';

/** Runs the python3 on PATH with a script; returns stdout. */
function python(script: string, ...args: string[]): string {
  const r = spawnSync('python3', ['-c', script, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

describe('credentials Secret', () => {
  test('YAML byte for byte as ccoctl writes manifests/<ns>-<name>-credentials.yaml', () => {
    const secret = buildCredentialsSecret({ name: 'cloud-credentials', namespace: 'openshift-ingress-operator', roleArn: ROLE });
    assert.equal(
      renderCredentialsSecretYaml(secret),
      [
        'apiVersion: v1',
        'stringData:',
        '  credentials: |-',
        '    [default]',
        '    sts_regional_endpoints = regional',
        `    role_arn = ${ROLE}`,
        '    web_identity_token_file = /var/run/secrets/openshift/serviceaccount/token',
        'kind: Secret',
        'metadata:',
        '  name: cloud-credentials',
        '  namespace: openshift-ingress-operator',
        'type: Opaque',
      ].join('\n'),
    );
    // and a YAML parser reads back the four-line INI without trailing newline
    const parsed = parse(renderCredentialsSecretYaml(secret)) as { stringData: { credentials: string } };
    assert.equal(parsed.stringData.credentials, secret.stringData.credentials);
    assert.equal(secret.stringData.credentials.split('\n').length, 4);
    assert.ok(!secret.stringData.credentials.endsWith('\n'));
  });

  test('Python configparser and botocore\'s config loader read role_arn and web_identity_token_file', (t) => {
    if (skipOrFail(t, clientUnavailable('python3', ['-c', 'import botocore.configloader, botocore.session']))) return;
    for (const [i, options] of [
      { roleArn: ROLE },
      { roleArn: ROLE, stsRegionalEndpoints: false, tokenPath: '/var/run/secrets/eks.amazonaws.com/serviceaccount/token' },
    ].entries()) {
      const secret = buildCredentialsSecret({ name: 'n', namespace: 'ns', ...options });
      const fromYaml = (parse(renderCredentialsSecretYaml(secret)) as { stringData: { credentials: string } }).stringData.credentials;
      const file = join(dir, `credentials-${i}`);
      writeFileSync(file, fromYaml);
      const token = options.tokenPath ?? '/var/run/secrets/openshift/serviceaccount/token';
      const viaConfigparser = JSON.parse(python('import configparser,json,sys\nc=configparser.ConfigParser()\nc.read(sys.argv[1])\nprint(json.dumps(dict(c["default"])))', file)) as Record<string, string>;
      assert.equal(viaConfigparser.role_arn, ROLE);
      assert.equal(viaConfigparser.web_identity_token_file, token);
      assert.equal(viaConfigparser.sts_regional_endpoints, options.stsRegionalEndpoints === false ? undefined : 'regional');
      const viaBotocore = JSON.parse(python('import botocore.configloader,json,sys\nprint(json.dumps(botocore.configloader.load_config(sys.argv[1])["profiles"]["default"]))', file)) as Record<string, string>;
      assert.equal(viaBotocore.role_arn, ROLE);
      assert.equal(viaBotocore.web_identity_token_file, token);
      // a botocore session pointed at the file (as operators do with AWS_CONFIG_FILE) sees the same profile
      const scoped = JSON.parse(python('import botocore.session,json,os,sys\nos.environ["AWS_CONFIG_FILE"]=sys.argv[1]\nos.environ.pop("AWS_PROFILE",None)\ns=botocore.session.Session()\nprint(json.dumps(s.get_scoped_config()))', file)) as Record<string, string>;
      assert.equal(scoped.role_arn, ROLE);
      assert.equal(scoped.web_identity_token_file, token);
    }
  });

  test('bad input names the field (never a flag), exit 2', () => {
    for (const [run, field, message] of [
      [() => buildCredentialsConfig({ roleArn: 'my-role' }), 'roleArn', /^roleArn "my-role": not an IAM role ARN/],
      [() => buildCredentialsConfig({ roleArn: ROLE, tokenPath: 'token' }), 'tokenPath', /^tokenPath "token": must be an absolute path/],
      [() => buildCredentialsSecret({ name: 'Bad', namespace: 'ns', roleArn: ROLE }), 'name', /^name "Bad"/],
      [() => buildCredentialsSecret({ name: 'ok', namespace: 'a.b', roleArn: ROLE }), 'namespace', /^namespace "a\.b"/],
      [() => parseProviderArn('arn:aws:iam::123:role/x'), 'providerArn', /^providerArn "arn:aws:iam::123:role\/x": use arn:aws:iam::ACCOUNT:oidc-provider/],
    ] as const) {
      assert.throws(run, (err: unknown) => err instanceof FieldError && err.field === field && err.exitCode === 2 && message.test(err.message) && !err.message.includes('--'));
    }
  });
});

const CR = `apiVersion: cloudcredential.openshift.io/v1
kind: CredentialsRequest
metadata:
  name: openshift-ingress
  namespace: openshift-cloud-credential-operator
spec:
  providerSpec:
    apiVersion: cloudcredential.openshift.io/v1
    kind: AWSProviderSpec
    statementEntries:
    - effect: Allow
      action:
      - elasticloadbalancing:DescribeLoadBalancers
      - route53:ListHostedZones
      resource: "*"
    - effect: Allow
      action:
      - route53:ChangeResourceRecordSets
      resource: "arn:aws:route53:::hostedzone/*"
      policyCondition:
        StringEquals:
          aws:RequestedRegion: us-east-1
          aws:PrincipalTag/a<b: "x&y"
  secretRef:
    name: cloud-credentials
    namespace: openshift-ingress-operator
  serviceAccountNames:
  - ingress-operator
  - ingress-canary
`;

describe('CredentialsRequest → role (ccoctl aws create-iam-roles --dry-run)', () => {
  test('role name, trust policy and permission policy exactly as ccoctl formats them', () => {
    const [cr] = parseCredentialsRequests(CR, 'cr.yaml');
    const plan = planCredentialsRequestRole(cr!, { infraName: 'mycluster', provider: parseProviderArn(PROVIDER) });
    assert.equal(plan.roleName, 'mycluster-openshift-ingress-operator-cloud-credentials');
    assert.equal(plan.roleArn, ROLE);
    assert.equal(
      plan.trustPolicy,
      '{ "Version": "2012-10-17", "Statement": [ { "Effect": "Allow", "Principal": { "Federated": "' + PROVIDER + '" }, "Action": "sts:AssumeRoleWithWebIdentity", "Condition":  { "StringEquals": { "mycluster-oidc.s3.us-east-1.amazonaws.com:sub": [ "system:serviceaccount:openshift-ingress-operator:ingress-operator"  , "system:serviceaccount:openshift-ingress-operator:ingress-canary" ] } } } ] }',
    );
    assert.deepEqual(JSON.parse(plan.trustPolicy), plan.trustPolicyDocument, 'the bytes are the document');
    assert.deepEqual(JSON.parse(plan.permissionPolicy), plan.permissionPolicyDocument, 'the bytes are the document');
    const trust = JSON.parse(plan.trustPolicy) as { Statement: Array<{ Condition: { StringEquals: Record<string, string[]> } }> };
    assert.deepEqual(trust.Statement[0]!.Condition.StringEquals['mycluster-oidc.s3.us-east-1.amazonaws.com:sub'], [
      'system:serviceaccount:openshift-ingress-operator:ingress-operator',
      'system:serviceaccount:openshift-ingress-operator:ingress-canary',
    ]);
    assert.equal(
      plan.permissionPolicy,
      '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["elasticloadbalancing:DescribeLoadBalancers","route53:ListHostedZones"],"Resource":"*"},' +
        '{"Effect":"Allow","Action":["route53:ChangeResourceRecordSets"],"Resource":"arn:aws:route53:::hostedzone/*","Condition":{"StringEquals":{"aws:PrincipalTag/a\\u003cb":"x\\u0026y","aws:RequestedRegion":"us-east-1"}}}]}',
    );
    const createRole = JSON.parse(plan.createRoleInput) as Record<string, unknown>;
    assert.deepEqual(Object.keys(createRole), ['AssumeRolePolicyDocument', 'Description', 'RoleName', 'Tags']);
    assert.equal(createRole.Description, 'OpenShift role for openshift-ingress-operator/cloud-credentials');
    assert.deepEqual(createRole.Tags, [{ Key: 'openshift.io/cloud-credential-operator/mycluster', Value: 'owned' }, { Key: 'Name', Value: 'mycluster' }]);
    assert.deepEqual(JSON.parse(plan.putRolePolicyInput), { PolicyDocument: plan.permissionPolicy, PolicyName: plan.roleName, RoleName: plan.roleName });
    assert.ok(plan.putRolePolicyInput.startsWith('{"PolicyDocument":"{\\"Version\\":\\"2012-10-17\\"'));
    const withBoundary = planCredentialsRequestRole(cr!, { infraName: 'mycluster', provider: parseProviderArn(PROVIDER), permissionsBoundaryArn: 'arn:aws:iam::123456789012:policy/b' });
    assert.deepEqual(Object.keys(JSON.parse(withBoundary.createRoleInput) as object), ['AssumeRolePolicyDocument', 'Description', 'PermissionsBoundary', 'RoleName', 'Tags']);
  });

  test('role names are cut at 64 characters; namespace of the trust is the Secret\'s', () => {
    const [cr] = parseCredentialsRequests(CR, 'cr.yaml');
    const plan = planCredentialsRequestRole(cr!, { infraName: 'a-very-long-infrastructure-name-1234', provider: parseProviderArn(PROVIDER) });
    assert.equal(plan.roleName, 'a-very-long-infrastructure-name-1234-openshift-ingress-operator-'.slice(0, 64));
    assert.equal(plan.roleName.length, 64);
    const single = planCredentialsRequestRole({ ...cr!, spec: { ...cr!.spec, serviceAccountNames: ['only'] } }, { infraName: 'x', provider: parseProviderArn(PROVIDER) });
    assert.match(single.trustPolicy, /"mycluster-oidc\.s3\.us-east-1\.amazonaws\.com:sub": \[ "system:serviceaccount:openshift-ingress-operator:only"  \] \}/);
  });

  test('filtering and errors like ccoctl', () => {
    const [cr] = parseCredentialsRequests(CR, 'cr.yaml') as [CredentialsRequest];
    const withAnnotations = (a: Record<string, string>): CredentialsRequest => ({ ...cr, metadata: { ...cr.metadata, annotations: a } });
    assert.equal(skipReason(cr), undefined);
    assert.deepEqual(skipReason(withAnnotations({ 'release.openshift.io/delete': 'true' })), { annotation: 'release.openshift.io/delete', value: 'true' });
    assert.deepEqual(skipReason(withAnnotations({ 'release.openshift.io/feature-set': 'TechPreviewNoUpgrade' })), { annotation: 'release.openshift.io/feature-set', value: 'TechPreviewNoUpgrade' });
    assert.equal(skipReason(withAnnotations({ 'release.openshift.io/feature-set': 'TechPreviewNoUpgrade' }), { enableTechPreview: true }), undefined);
    assert.deepEqual(skipReason(withAnnotations({ 'release.openshift.io/feature-set': 'CustomNoUpgrade' }), { enableTechPreview: true }), { annotation: 'release.openshift.io/feature-set', value: 'CustomNoUpgrade' });
    const provider = parseProviderArn(PROVIDER);
    assert.throws(() => planCredentialsRequestRole({ ...cr, spec: { ...cr.spec, serviceAccountNames: [] } }, { infraName: 'x', provider }), /must provide ServiceAccounts/);
    assert.throws(() => planCredentialsRequestRole({ ...cr, spec: { ...cr.spec, providerSpec: { kind: 'GCPProviderSpec' } } }, { infraName: 'x', provider }), /is not of type AWS/);
    assert.throws(() => parseCredentialsRequests('kind: ConfigMap\n', 'cm.yaml'), (err: unknown) => err instanceof ManifestError && /^cm\.yaml: no CredentialsRequest found/.test(err.message));
    assert.throws(() => parseCredentialsRequests('kind: ConfigMap\n---\nkind: CredentialsRequest\nspec: {}\n', 'cr.yaml'), (err: unknown) => err instanceof ManifestError && /^cr\.yaml, document 2: CredentialsRequest document 2 lacks spec\.secretRef/.test(err.message));
    assert.throws(() => parseCredentialsRequests('kind: CredentialsRequest\nspec: [unclosed\n', 'cr.yaml'), (err: unknown) => err instanceof ManifestError && /^cr\.yaml, document 1: invalid YAML \(line \d+, column \d+\)/.test(err.message));
    assert.throws(() => planCredentialsRequestRole(cr, { infraName: '', provider }), (err: unknown) => err instanceof FieldError && err.field === 'infraName');
    // several requests, multi-document
    assert.equal(parseCredentialsRequests(`${CR}---\n${CR}`, 'two.yaml').length, 2);
    // a List (kubectl get -o yaml), as YAML and as JSON
    const list = { apiVersion: 'v1', kind: 'List', items: [parse(CR), { kind: 'ConfigMap' }, parse(CR)] };
    assert.deepEqual(parseCredentialsRequests(JSON.stringify(list), 'list.json').map((r) => r.spec.secretRef.name), ['cloud-credentials', 'cloud-credentials']);
    assert.equal(parseCredentialsRequests(stringify(list), 'list.yaml').length, 2);
  });
});
