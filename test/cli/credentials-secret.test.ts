import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { runCli } from '../oidc/cli-helpers.js';
import { tempDir } from '../oidc/helpers.js';

const dir = tempDir();
const ROLE = 'arn:aws:iam::123456789012:role/r';
const CR = `apiVersion: cloudcredential.openshift.io/v1
kind: CredentialsRequest
metadata:
  name: aws-ebs-csi-driver-operator
  namespace: openshift-cloud-credential-operator
spec:
  providerSpec:
    apiVersion: cloudcredential.openshift.io/v1
    kind: AWSProviderSpec
    statementEntries:
    - effect: Allow
      action: [ec2:AttachVolume, ec2:CreateVolume]
      resource: "*"
  secretRef:
    name: ebs-cloud-credentials
    namespace: openshift-cluster-csi-drivers
  serviceAccountNames: [aws-ebs-csi-driver-operator, aws-ebs-csi-driver-controller-sa]
---
apiVersion: cloudcredential.openshift.io/v1
kind: CredentialsRequest
metadata:
  name: gone
  annotations:
    release.openshift.io/delete: "true"
spec:
  providerSpec: {kind: AWSProviderSpec}
  secretRef: {name: x, namespace: y}
  serviceAccountNames: [z]
`;

describe('irsa credentials-secret', () => {
  test('prints the ccoctl Secret (YAML default, JSON on request)', async () => {
    const yaml = await runCli(['credentials-secret', '--name', 'cloud-credentials', '--namespace', 'openshift-ingress-operator', '--role-arn', ROLE], dir);
    assert.equal(yaml.code, 0, yaml.stderr);
    assert.equal(yaml.stdout, `apiVersion: v1\nstringData:\n  credentials: |-\n    [default]\n    sts_regional_endpoints = regional\n    role_arn = ${ROLE}\n    web_identity_token_file = /var/run/secrets/openshift/serviceaccount/token\nkind: Secret\nmetadata:\n  name: cloud-credentials\n  namespace: openshift-ingress-operator\ntype: Opaque\n`);
    const json = await runCli(['credentials-secret', '--name', 'a', '--namespace', 'b', '--role-arn', ROLE, '--token-path', '/t/token', '--sts-regional-endpoints=false', '-o', 'json'], dir);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), {
      apiVersion: 'v1',
      stringData: { credentials: `[default]\nrole_arn = ${ROLE}\nweb_identity_token_file = /t/token` },
      kind: 'Secret',
      metadata: { name: 'a', namespace: 'b' },
      type: 'Opaque',
    });
  });

  test('--credentials-request: Secret plus role name, trust and permission policy; skipped requests noted', async () => {
    writeFileSync(join(dir, 'cr.yaml'), CR);
    const run = await runCli(['credentials-secret', '--credentials-request', 'cr.yaml', '--infra-name', 'c1', '--issuer', 'https://c1-oidc.s3.us-east-1.amazonaws.com', '--account-id', '123456789012'], dir);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /skipping CredentialsRequest gone: annotation release\.openshift\.io\/delete/);
    const docs = parseAllDocuments(run.stdout).map((d) => d.toJS()) as Array<Record<string, any>>;
    assert.equal(docs.length, 2);
    const roleArn = 'arn:aws:iam::123456789012:role/c1-openshift-cluster-csi-drivers-ebs-cloud-credentials';
    assert.equal(docs[0]!.metadata.name, 'ebs-cloud-credentials');
    assert.match(docs[0]!.stringData.credentials, new RegExp(`role_arn = ${roleArn}\n`));
    assert.equal(docs[1]!.roleArn, roleArn);
    assert.equal(docs[1]!.trustPolicy.Statement[0].Principal.Federated, 'arn:aws:iam::123456789012:oidc-provider/c1-oidc.s3.us-east-1.amazonaws.com');
    assert.deepEqual(docs[1]!.trustPolicy.Statement[0].Condition.StringEquals['c1-oidc.s3.us-east-1.amazonaws.com:sub'], [
      'system:serviceaccount:openshift-cluster-csi-drivers:aws-ebs-csi-driver-operator',
      'system:serviceaccount:openshift-cluster-csi-drivers:aws-ebs-csi-driver-controller-sa',
    ]);
    assert.equal(docs[1]!.trustPolicy.Version, '2012-10-17');
    assert.deepEqual(docs[1]!.permissionPolicy.Statement[0].Action, ['ec2:AttachVolume', 'ec2:CreateVolume']);
    const json = await runCli(['credentials-secret', '--credentials-request', 'cr.yaml', '--infra-name', 'c1', '--provider-arn', 'arn:aws:iam::123456789012:oidc-provider/c1-oidc.s3.us-east-1.amazonaws.com', '-o', 'json'], dir);
    assert.equal(json.code, 0, json.stderr);
    const out = JSON.parse(json.stdout) as { role: { roleName: string; createRoleInput: string } };
    assert.equal(out.role.roleName, 'c1-openshift-cluster-csi-drivers-ebs-cloud-credentials');
    assert.equal(JSON.parse(out.role.createRoleInput).RoleName, out.role.roleName);
  });

  test('bad input: exit 2, one line naming the flag', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--namespace', 'b', '--role-arn', ROLE], /--name is required/],
      [['--name', 'a', '--namespace', 'b', '--role-arn', 'nope'], /--role-arn "nope": not an IAM role ARN/],
      [['--name', 'a', '--namespace', 'b', '--role-arn', ROLE, '--sts-regional-endpoints=maybe'], /--sts-regional-endpoints=maybe: use true or false/],
      [['--credentials-request', 'cr.yaml', '--infra-name', 'c1'], /--provider-arn ARN, or --issuer URL with --account-id/],
      [['--credentials-request', 'cr.yaml', '--provider-arn', 'arn:aws:iam::123456789012:oidc-provider/h'], /needs --infra-name/],
      [['--credentials-request', 'missing.yaml', '--infra-name', 'c1', '--provider-arn', 'arn:aws:iam::123456789012:oidc-provider/h'], /missing\.yaml: cannot be read/],
      [['--credentials-request', 'cr.yaml', '--infra-name', 'c1', '--issuer', 'https://h:8443', '--account-id', '123456789012'], /must not contain a port/],
      [['--name', 'a', '--namespace', 'b', '--role-arn', ROLE, '-o', 'xml'], /--output "xml"/],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(['credentials-secret', ...args], dir);
      assert.equal(run.code, 2, args.join(' '));
      assert.match(run.stderr, message);
      assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    }
  });
});
