/**
 * Child of durability.test.ts: opens the plane on the given SQLite file, then creates roles, managed policies and
 * OIDC providers through the real HTTP endpoint (and issues STS sessions), printing `ack <kind> <name>` after each
 * acknowledged write, until killed.
 */
import { createPlane, ensureAdminUser, openDatabase, startAwsServer } from '../../src/aws/index.js';
import { query } from './sign.js';

const [file, prefix] = process.argv.slice(2) as [string, string];
const plane = createPlane({ db: openDatabase(file), accountId: '111122223333' });
const admin = ensureAdminUser(plane);
const server = await startAwsServer({ plane, host: '127.0.0.1', port: 0 });
const creds = { accessKeyId: admin.accessKeyId, secretAccessKey: admin.secretAccessKey };
const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
const doc = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] });
const PROVIDERS_PER_ROUND = 24;
process.stdout.write('ready\n');
for (let i = 0; ; i++) {
  const steps: Array<[string, string, Record<string, string>]> = [
    ['role', `${prefix}-r${i}`, { Action: 'CreateRole', RoleName: `${prefix}-r${i}`, AssumeRolePolicyDocument: trust }],
    ['inline', `${prefix}-r${i}`, { Action: 'PutRolePolicy', RoleName: `${prefix}-r${i}`, PolicyName: 'p', PolicyDocument: doc }],
    ['policy', `${prefix}-p${i}`, { Action: 'CreatePolicy', PolicyName: `${prefix}-p${i}`, PolicyDocument: doc }],
    // IAM allows 100 OIDC providers per account: the test's 4 rounds stay under it however fast the machine writes
    ...(i < PROVIDERS_PER_ROUND
      ? [['provider', `https://${prefix}-${i}.example.com`, { Action: 'CreateOpenIDConnectProvider', Url: `https://${prefix}-${i}.example.com`, 'ClientIDList.member.1': 'sts.amazonaws.com' }] as [string, string, Record<string, string>]]
      : []),
  ];
  for (const [kind, name, params] of steps) {
    const res = await query(server.url, creds, params);
    if (res.status !== 200) throw new Error(`${kind} ${name}: ${res.status} ${res.body}`);
    process.stdout.write(`ack ${kind} ${name}\n`);
  }
  const role = plane.iam.getRole(`${prefix}-r${i}`)!;
  const session = plane.sessions.issueSessionCredentials({ accountId: '111122223333', roleArn: role.arn, roleId: role.roleId, roleName: role.roleName, sessionName: 's', expiration: new Date(Date.now() + 3600_000) });
  process.stdout.write(`ack session ${session.accessKeyId}\n`);
}
