/**
 * `irsa policy …` in-process: exit codes (0 Allow / 1 deny / 2 bad input), --json shapes, messages for bad files,
 * and one end-to-end run of ./bin/irsa.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { runCli, type CliRun } from './capture.js';

const dir = mkdtempSync(join(tmpdir(), 'irsa-policy-cli-'));

function run(args: string[]): Promise<CliRun> {
  return runCli(['policy', ...args], { cwd: dir });
}

function file(name: string, content: unknown): string {
  writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return name;
}

const ISSUER = 'oidc.example.com/id/ABC';
const PROVIDER = `arn:aws:iam::111122223333:oidc-provider/${ISSUER}`;

file('read.json', {
  Version: '2012-10-17',
  Statement: [
    { Sid: 'Read', Effect: 'Allow', Action: ['s3:Get*', 's3:List*'], Resource: ['arn:aws:s3:::data', 'arn:aws:s3:::data/*'], Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } },
    { Sid: 'NoSecrets', Effect: 'Deny', Action: 's3:*', Resource: 'arn:aws:s3:::data/secret/*' },
  ],
});
file('boundary.json', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:List*', Resource: '*' }] });
file('tags.json', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['a', 'b'] }, 'Null': { 'aws:TagKeys': 'false' } } }] });
file('bad.json', '{"Version": "2012-10-17", "Statement": [');
file('trust.json', {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Federated: PROVIDER }, Action: 'sts:AssumeRoleWithWebIdentity', Condition: { StringEquals: { [`${ISSUER}:sub`]: 'system:serviceaccount:default:app', [`${ISSUER}:aud`]: 'sts.amazonaws.com' } } }],
});
file('loose.json', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Federated: PROVIDER }, Action: 'sts:AssumeRoleWithWebIdentity' }] });
file('like-ns.json', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Federated: PROVIDER }, Action: 'sts:AssumeRoleWithWebIdentity', Condition: { StringLike: { [`${ISSUER}:sub`]: 'system:serviceaccount:team:*' }, StringEquals: { [`${ISSUER}:aud`]: 'sts.amazonaws.com' } } }] });

test('eval: Allow exits 0, explicit deny 1, implicit deny 1, with one-glance text', async () => {
  const allow = await run(['eval', '--policy', 'read.json', '--action', 's3:GetObject', '--resource', 'arn:aws:s3:::data/k', '--context', 'aws:SourceIp=10.1.2.3']);
  assert.equal(allow.code, 0, allow.stderr);
  assert.equal(allow.stdout.split('\n')[0], 'Allow: s3:GetObject on arn:aws:s3:::data/k');
  assert.match(allow.stdout, /applied +read\.json #0 \(Sid "Read"\) Allow/);
  const deny = await run(['eval', '--policy', 'read.json', '--action', 's3:GetObject', '--resource', 'arn:aws:s3:::data/secret/k', '--context', 'aws:SourceIp=10.1.2.3']);
  assert.equal(deny.code, 1);
  assert.match(deny.stdout, /^ExplicitDeny: /);
  assert.match(deny.stdout, /with an explicit deny in an identity-based policy/);
  const implicit = await run(['eval', '--policy', 'read.json', '--action', 's3:GetObject', '--resource', 'arn:aws:s3:::data/k', '--context', 'aws:SourceIp=192.168.0.1']);
  assert.equal(implicit.code, 1);
  assert.match(implicit.stdout, /^ImplicitDeny: /);
  assert.match(implicit.stdout, /IpAddress on "aws:SourceIp": expected "10\.0\.0\.0\/8", request has "192\.168\.0\.1"/);
  const missing = await run(['eval', '--policy', 'read.json', '--action', 's3:GetObject', '--resource', 'arn:aws:s3:::data/k']);
  assert.match(missing.stdout, /"aws:SourceIp": the key is not in the request context/);
});

test('eval --json: {decision, matchedStatements, reasons, statements}', async () => {
  const r = await run(['eval', '--policy', 'read.json', '--boundary', 'boundary.json', '--action', 's3:GetObject', '--resource', 'arn:aws:s3:::data/k', '--context', 'aws:SourceIp=10.0.0.1', '--json']);
  assert.equal(r.code, 1);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(out), ['decision', 'matchedStatements', 'reasons', 'statements']);
  assert.equal(out.decision, 'ImplicitDeny');
  assert.deepEqual(out.matchedStatements, [{ policy: 'read.json', role: 'identity', sid: 'Read', index: 0, effect: 'Allow' }]);
  assert.deepEqual(out.reasons, ['because no permissions boundary allows the s3:GetObject action']);
  assert.equal(out.statements.length, 3);
});

test('eval: repeated --context is multi-valued, KEY=[] an empty set; managed policies by name or ARN', async () => {
  const ok = await run(['eval', '--policy', 'tags.json', '--action', 's3:PutObject', '--context', 'aws:TagKeys=a', '--context', 'aws:TagKeys=b']);
  assert.equal(ok.code, 0, ok.stdout);
  const extra = await run(['eval', '--policy', 'tags.json', '--action', 's3:PutObject', '--context', 'aws:TagKeys=a', '--context', 'aws:TagKeys=c']);
  assert.equal(extra.code, 1);
  const empty = await run(['eval', '--policy', 'tags.json', '--action', 's3:PutObject', '--context', 'aws:TagKeys=[]']);
  assert.equal(empty.code, 1, 'the Null check rejects the vacuous empty set');
  const managed = await run(['eval', '--policy', 'arn:aws:iam::aws:policy/ReadOnlyAccess', '--action', 's3:ListAllMyBuckets']);
  assert.equal(managed.code, 0, managed.stdout + managed.stderr);
  assert.equal((await run(['eval', '--policy', 'AmazonS3ReadOnlyAccess', '--action', 's3:PutObject'])).code, 1);
});

test('eval: resource policies need a principal; session policies intersect', async () => {
  file('bucket.json', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:role/app' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }] });
  const r = await run(['eval', '--resource-policy', 'bucket.json', '--action', 's3:GetObject', '--resource', 'arn:aws:s3:::b/k', '--principal', 'arn:aws:sts::111122223333:assumed-role/app/s']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const nop = await run(['eval', '--resource-policy', 'bucket.json', '--action', 's3:GetObject']);
  assert.equal(nop.code, 2);
  assert.match(nop.stderr, /needs --principal/);
  const session = await run(['eval', '--policy', 'AdministratorAccess', '--session-policy', 'boundary.json', '--action', 's3:GetObject']);
  assert.equal(session.code, 1);
  assert.match(session.stdout, /because no session policy allows the s3:GetObject action/);
});

test('bad input exits 2 with a one-line message naming the file and the fix', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['eval', '--policy', 'nope.json', '--action', 's3:GetObject'], /--policy nope\.json: cannot read the file \(ENOENT\)/],
    [['eval', '--policy', 'bad.json', '--action', 's3:GetObject'], /--policy bad\.json: MalformedPolicyDocument: Syntax errors in policy\./],
    [['eval', '--policy', 'trust.json', '--action', 's3:GetObject'], /pass it with --resource-policy/],
    [['eval', '--policy', 'read.json', '--action', 'GetObject'], /--action "GetObject": expected service:Action/],
    [['eval', '--policy', 'read.json', '--action', 's3:GetObject', '--context', 'novalue'], /expected KEY=VALUE/],
    [['eval', '--action', 's3:GetObject'], /at least one --policy/],
    [['eval', '--policy', 'read.json'], /required option '--action <action>'/],
    [['explain-trust', '--trust-policy', 'trust.json', '--provider-arn', PROVIDER], /exactly one of --token JWT or --claims JSON/],
    [['explain-trust', '--trust-policy', 'trust.json', '--provider-arn', PROVIDER, '--token', 'abc'], /--token abc: neither a JWT nor a readable file/],
    [['explain-trust', '--trust-policy', 'trust.json', '--provider-arn', PROVIDER, '--token', 'a.b.c'], /--token: token is not a JWT/],
    [['explain-trust', '--trust-policy', 'trust.json', '--provider-arn', PROVIDER, '--claims', '{nope'], /--claims: not valid JSON/],
    [['explain-trust', '--trust-policy', 'trust.json', '--provider-arn', 'arn:aws:iam::1:role/x', '--claims', '{}'], /not an IAM OIDC provider ARN/],
    [['audit', 'bad.json'], /bad\.json: MalformedPolicyDocument: Syntax errors in policy\./],
    [['audit', 'read.json'], /read\.json: MalformedPolicyDocument: .* \(not a valid trust policy\)/],
    [['validate', 'missing.json'], /validate missing\.json: cannot read the file/],
    [['validate', '--kind', 'weird', 'read.json'], /--kind weird: expected one of/],
    [['trust', '--namespace', 'default', '--service-account', 'app'], /needs --provider-arn, or --issuer and --account-id/],
    [['trust', '--issuer', 'http://x', '--account-id', '111122223333', '--namespace', 'default', '--service-account', 'app'], /^irsa: policy trust: --issuer "http:\/\/x" must be an https:\/\/ URL/],
    [['trust', '--issuer', 'https://x', '--account-id', '1', '--namespace', 'default', '--service-account', 'app'], /^irsa: policy trust: --account-id "1" must be 12 digits/],
    [['trust', '--provider-arn', PROVIDER, '--namespace', 'default', '--service-account', 'A_B'], /^irsa: policy trust: --service-account "A_B" is not a valid ServiceAccount name/],
  ];
  for (const [args, message] of cases) {
    const r = await run(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length <= 2, true, `short message for ${args.join(' ')}: ${r.stderr}`);
  }
});

/** Claims STS would accept now for the test provider (the checks need iss, sub, aud, iat, exp). */
function liveClaims(sub = 'system:serviceaccount:default:app'): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { iss: `https://${ISSUER}`, sub, aud: ['sts.amazonaws.com'], iat: now, nbf: now, exp: now + 3600 };
}

test('explain-trust --token reads a file whose path has dots (the pod token path), not only a bare name', async () => {
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const token = `${enc({ alg: 'RS256', kid: 'k' })}.${enc(liveClaims())}.sig`;
  mkdirSync(join(dir, 'secrets', 'eks.amazonaws.com', 'serviceaccount'), { recursive: true });
  file('secrets/eks.amazonaws.com/serviceaccount/token', `${token}\n`);
  const r = await run(['explain-trust', '--trust-policy', 'trust.json', '--provider-arn', PROVIDER, '--token', 'secrets/eks.amazonaws.com/serviceaccount/token']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^Allow: sts:AssumeRoleWithWebIdentity/);
  assert.match(r.stdout, /signature NOT checked/);
  file('token.jwt', token);
  assert.equal((await run(['explain-trust', '--trust-policy', 'trust.json', '--provider-arn', PROVIDER, '--token', 'token.jwt'])).code, 0);
});

test('explain-trust: claims or an unverified token; the context STS builds; exit 0/1', async () => {
  const claims = JSON.stringify(liveClaims());
  const ok = await run(['explain-trust', '--trust-policy', 'trust.json', '--provider-arn', PROVIDER, '--claims', claims]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /^Allow: sts:AssumeRoleWithWebIdentity with arn:aws:iam::111122223333:oidc-provider\/oidc\.example\.com\/id\/ABC/);
  assert.match(ok.stdout, /oidc\.example\.com\/id\/ABC:sub = "system:serviceaccount:default:app"/);
  assert.match(ok.stdout, /signature NOT checked \(claims given without a token/);
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const token = `${enc({ alg: 'RS256', kid: 'k' })}.${enc(liveClaims('system:serviceaccount:default:other'))}.sig`;
  const deny = await run(['explain-trust', '--trust-policy', 'trust.json', '--provider-arn', PROVIDER, '--token', token, '--json']);
  assert.equal(deny.code, 1);
  const out = JSON.parse(deny.stdout);
  assert.equal(out.decision, 'ImplicitDeny');
  assert.deepEqual(out.matchedStatements, []);
  assert.deepEqual(out.reasons, ['sts:AssumeRoleWithWebIdentity: because no resource-based policy allows the sts:AssumeRoleWithWebIdentity action']);
  assert.equal(out.context.keys[`${ISSUER}:sub`], 'system:serviceaccount:default:other');
  assert.equal(out.actions[0].statements[0].reason.kind, 'condition');
  assert.deepEqual(out.actions[0].statements[0].reason.expected, ['system:serviceaccount:default:app']);
  assert.equal(out.tokenCheck.signature, 'not-checked');
  // token from a file
  file('token', token);
  assert.equal((await run(['explain-trust', '--trust-policy', 'trust.json', '--provider-arn', PROVIDER, '--token', 'token'])).code, 1);
  // another provider: STS finds no provider for the token's iss, before any policy
  const other = await run(['explain-trust', '--trust-policy', 'trust.json', '--provider-arn', 'arn:aws:iam::111122223333:oidc-provider/other.example.com', '--claims', claims]);
  assert.equal(other.code, 1);
  assert.match(other.stdout, /^TokenRejected: STS answers InvalidIdentityToken \(HTTP 400\) at the issuer check/);
  assert.match(other.stdout, /No OpenIDConnect provider found in your account for https:\/\/oidc\.example\.com\/id\/ABC/);
});

test('audit: exit 1 on a high finding, 0 otherwise; --json shape', async () => {
  const good = await run(['audit', 'trust.json']);
  assert.equal(good.code, 0);
  assert.equal(good.stdout, 'trust.json: no findings\n');
  const medium = await run(['audit', 'like-ns.json']);
  assert.equal(medium.code, 0, 'medium findings do not fail');
  assert.match(medium.stdout, /MEDIUM +T3 SUB_WILDCARD_NAMESPACE/);
  const bad = await run(['audit', 'trust.json', 'loose.json']);
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /loose\.json: 2 findings \(highest: critical\)/);
  assert.match(bad.stdout, /CRITICAL T1 NO_SUB_CONDITION \(statement #0\)/);
  assert.match(bad.stdout, /fix: Add "StringEquals"/);
  const json = await run(['audit', 'loose.json', '--json', '--client-id', 'sts.amazonaws.com', '--client-id', 'openshift']);
  assert.equal(json.code, 1);
  const out = JSON.parse(json.stdout);
  assert.equal(out.length, 1);
  assert.deepEqual(Object.keys(out[0]), ['file', 'findings', 'highest', 'failed']);
  assert.deepEqual(out[0].findings.map((f: { id: string; severity: string }) => `${f.id}:${f.severity}`), ['T1:critical', 'T7:high']);
  assert.deepEqual(Object.keys(out[0].findings[0]), ['id', 'rule', 'severity', 'statement', 'problem', 'fix']);
});

test('validate: AWS messages, exit 1 for an invalid document, warnings', async () => {
  const r = await run(['validate', 'read.json', 'trust.json']);
  assert.equal(r.code, 0, r.stdout);
  assert.match(r.stdout, /read\.json: valid managed policy \(\d+\/6144 characters\)/);
  assert.match(r.stdout, /trust\.json: valid trust policy \(\d+\/2048 characters\)/);
  const bad = await run(['validate', 'bad.json', 'read.json']);
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /bad\.json: MalformedPolicyDocument: Syntax errors in policy\./);
  file('warn.json', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { StringEquals: { 's3:prefix': 'home/*' } } }] });
  const evalWarn = await run(['eval', '--policy', 'warn.json', '--action', 's3:ListBucket', '--context', 's3:prefix=home/x']);
  assert.equal(evalWarn.code, 1);
  assert.match(evalWarn.stderr, /^warning: warn\.json statement #0: StringEquals on "s3:prefix" compares "\*" and "\?" literally; use StringLike for wildcards\. \(W_WILDCARD_IN_STRING_EQUALS\)$/m);
  const warn = await run(['validate', 'warn.json']);
  assert.equal(warn.code, 0);
  assert.match(warn.stdout, /warning W_WILDCARD_IN_STRING_EQUALS \(statement #0\)/);
  const asTrust = await run(['validate', '--kind', 'trust', 'read.json', '--json']);
  assert.equal(asTrust.code, 1);
  assert.deepEqual(JSON.parse(asTrust.stdout)[0].error, { code: 'MalformedPolicyDocument', message: 'Missing required field Principal' });
});

test('trust: the seed trust policy, which passes audit and validate', async () => {
  const r = await run(['trust', '--provider-arn', PROVIDER, '--namespace', 'default', '--service-account', 'app']);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.deepEqual(doc.Statement[0].Condition, { StringEquals: { [`${ISSUER}:sub`]: 'system:serviceaccount:default:app', [`${ISSUER}:aud`]: 'sts.amazonaws.com' } });
  file('seed.json', r.stdout);
  assert.equal((await run(['audit', 'seed.json', '--client-id', 'sts.amazonaws.com'])).stdout, 'seed.json: no findings\n');
  assert.equal((await run(['validate', 'seed.json'])).code, 0);
  const wild = await run(['trust', '--issuer', `https://${ISSUER}`, '--account-id', '111122223333', '--namespace', 'team', '--service-account', '*', '--audience', 'sts.amazonaws.com']);
  assert.deepEqual(JSON.parse(wild.stdout).Statement[0].Condition.StringLike, { [`${ISSUER}:sub`]: 'system:serviceaccount:team:*' });
});

test('end to end through ./bin/irsa', () => {
  const bin = join(import.meta.dirname, '..', '..', 'bin', 'irsa');
  const r = spawnSync(process.execPath, [bin, 'policy', 'eval', '--policy', join(dir, 'read.json'), '--action', 's3:ListBucket', '--resource', 'arn:aws:s3:::data', '--context', 'aws:SourceIp=10.9.9.9', '--json'], {
    encoding: 'utf8',
    env: { ...process.env, IRSA_FROM_SOURCE: '1' },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).decision, 'Allow');
  const help = spawnSync(process.execPath, [bin, 'policy', 'explain-trust', '--help'], { encoding: 'utf8', env: { ...process.env, IRSA_FROM_SOURCE: '1' } });
  assert.match(help.stdout, /else it is NOT checked/);
});

test('eval: a cross-account request needs both sides; --resource-account for ARNs without one; explain names the missing side', async () => {
  file('foreign-bucket.json', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: '999999999999' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::shared/*' }] });
  const args = ['eval', '--resource-policy', 'foreign-bucket.json', '--action', 's3:GetObject', '--resource', 'arn:aws:s3:::shared/k', '--principal', 'arn:aws:iam::999999999999:user/mallory'];
  const denied = await run([...args, '--resource-account', '111122223333']);
  assert.equal(denied.code, 1, denied.stdout);
  assert.match(denied.stdout, /^ImplicitDeny: /);
  assert.match(denied.stdout, /no identity-based policy allows the s3:GetObject action \(cross-account request, principal account 999999999999, resource account 111122223333/);
  const json = await run([...args, '--resource-account', '111122223333', '--json']);
  assert.deepEqual(JSON.parse(json.stdout).crossAccount, { principalAccount: '999999999999', resourceAccount: '111122223333', identityAllows: false, resourceAllows: true });
  file('get-shared.json', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::shared/*' }] });
  const both = await run([...args, '--resource-account', '111122223333', '--policy', 'get-shared.json']);
  assert.equal(both.code, 0, both.stdout);
  const bad = await run([...args, '--resource-account', '1111']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--resource-account "1111": expected a 12-digit account id/);
});

test('validate names every duplicate key and a syntax error position; audit flags duplicates and open trust policies', async () => {
  file('dup.json', '{"Version": "2012-10-17",\n "Statement": [{"Effect": "Deny", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}');
  const v = await run(['validate', 'dup.json']);
  assert.equal(v.code, 1);
  assert.equal(v.stdout, 'dup.json: MalformedPolicyDocument: Syntax errors in policy. (duplicate key "Effect" at $.Statement[0].Effect (line 2, column 35))\n');
  const syntax = await run(['validate', 'bad.json']);
  assert.match(syntax.stdout, /bad\.json: MalformedPolicyDocument: Syntax errors in policy\. \(JSON syntax error at line 1, column 41: expected a value, found end of input\)/);
  file('alow.json', { Version: '2012-10-17', Statement: [{ Effect: 'Alow', Action: 's3:*', Resource: '*' }] });
  const alow = await run(['eval', '--policy', 'alow.json', '--action', 's3:GetObject']);
  assert.equal(alow.code, 2);
  assert.match(alow.stderr, /--policy alow\.json: MalformedPolicyDocument: Syntax errors in policy\. \(Effect "Alow" at \$\.Statement\[0\]\.Effect: must be "Allow" or "Deny"\)/);
  file('dup-trust.json', `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"${PROVIDER}"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"${ISSUER}:sub":"system:serviceaccount:default:app"},"StringEquals":{"${ISSUER}:aud":"sts.amazonaws.com"}}}]}`);
  const a = await run(['audit', 'dup-trust.json']);
  assert.equal(a.code, 1, a.stdout);
  assert.match(a.stdout, /HIGH +T22 DUPLICATE_KEY/);
  assert.match(a.stdout, /CRITICAL T1 NO_SUB_CONDITION/, 'the engine keeps the last StringEquals, which has no sub');
  file('null-sub.json', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Federated: PROVIDER }, Action: 'sts:AssumeRoleWithWebIdentity', Condition: { Null: { [`${ISSUER}:sub`]: 'false' }, StringEquals: { [`${ISSUER}:aud`]: 'sts.amazonaws.com' } } }] });
  const open = await run(['audit', 'null-sub.json']);
  assert.equal(open.code, 1, open.stdout);
  assert.match(open.stdout, /CRITICAL T23 ANY_SERVICE_ACCOUNT/);
  const acct = await run(['audit', 'trust.json', '--role-arn', 'arn:aws:iam::444455556666:role/app']);
  assert.equal(acct.code, 1);
  assert.match(acct.stdout, /HIGH +T25 FEDERATED_OTHER_ACCOUNT/);
  const badArn = await run(['audit', 'trust.json', '--role-arn', 'app']);
  assert.equal(badArn.code, 2);
  assert.match(badArn.stderr, /--role-arn "app": expected a role ARN/);
});
