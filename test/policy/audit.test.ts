/**
 * The IRSA trust-policy audit catalogue on good and bad trust policies, the seed trust policy from
 * buildIrsaTrustPolicy, and the web-identity context STS builds from token claims.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  auditTrustPolicy,
  buildIrsaTrustPolicy,
  buildWebIdentityContext,
  compilePolicy,
  decodeJwtPayload,
  evaluatePolicies,
  oidcProviderArn,
  parseOidcProviderArn,
  PolicyError,
  AUDIT_RULES,
  PROBE_NAMESPACE,
  PROBE_SERVICE_ACCOUNT,
  type AuditOptions,
  type PolicyDocument,
  type PolicyStatement,
} from '../../src/policy/index.js';

const ISSUER = 'oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';
const PROVIDER = `arn:aws:iam::111122223333:oidc-provider/${ISSUER}`;
const SUB = `${ISSUER}:sub`;
const AUD = `${ISSUER}:aud`;

function trust(condition?: PolicyStatement['Condition'], extra: Partial<PolicyStatement> = {}): PolicyDocument {
  const st: PolicyStatement = { Effect: 'Allow', Principal: { Federated: PROVIDER }, Action: 'sts:AssumeRoleWithWebIdentity', ...extra };
  if (condition !== undefined) st.Condition = condition;
  return { Version: '2012-10-17', Statement: [st] };
}

const good = trust({ StringEquals: { [SUB]: 'system:serviceaccount:default:my-sa', [AUD]: 'sts.amazonaws.com' } });

function ids(doc: PolicyDocument, opts: AuditOptions = {}): string[] {
  return auditTrustPolicy(doc, opts).findings.map((f) => `${f.id}:${f.severity}`);
}

test('the spec example trust policy has no findings', () => {
  const r = auditTrustPolicy(good);
  assert.deepEqual(r.findings, []);
  assert.equal(r.failed, false);
  assert.equal(r.highest, null);
});

test('buildIrsaTrustPolicy: seed shape, passes its own audit, StringLike for *', () => {
  const doc = buildIrsaTrustPolicy({ providerArn: PROVIDER, namespace: 'default', serviceAccount: 'my-sa' });
  assert.deepEqual(doc, good);
  assert.deepEqual(auditTrustPolicy(doc, { clientIds: ['sts.amazonaws.com'] }).findings, []);
  const fromIssuer = buildIrsaTrustPolicy({ issuer: `https://${ISSUER}/`, accountId: '111122223333', namespace: 'default', serviceAccount: 'my-sa' });
  assert.deepEqual(fromIssuer, good);
  const wild = buildIrsaTrustPolicy({ providerArn: PROVIDER, namespace: 'team-a', serviceAccount: '*', audience: 'sts.amazonaws.com' });
  const st = (wild.Statement as PolicyStatement[])[0]!;
  assert.deepEqual(st.Condition, { StringLike: { [SUB]: 'system:serviceaccount:team-a:*' }, StringEquals: { [AUD]: 'sts.amazonaws.com' } });
  const r = auditTrustPolicy(wild);
  assert.equal(r.failed, false, 'namespace wildcard is medium, not high');
  assert.deepEqual(r.findings.map((f) => f.rule), ['SUB_WILDCARD_NAMESPACE']);
  // it evaluates as STS would
  const p = compilePolicy(doc, { kind: 'trust', name: 'trust' });
  const req = buildWebIdentityContext({ providerArn: PROVIDER, claims: { sub: 'system:serviceaccount:default:my-sa', aud: ['sts.amazonaws.com'] } });
  assert.equal(evaluatePolicies({ resource: [p] }, req.context).decision, 'Allow');
  const other = buildWebIdentityContext({ providerArn: PROVIDER, claims: { sub: 'system:serviceaccount:default:other', aud: ['sts.amazonaws.com'] } });
  assert.equal(evaluatePolicies({ resource: [p] }, other.context).decision, 'ImplicitDeny');
  // bad input
  for (const bad of [
    { providerArn: 'arn:aws:iam::1:role/x', namespace: 'a', serviceAccount: 'b' },
    { issuer: 'http://x', accountId: '111122223333', namespace: 'a', serviceAccount: 'b' },
    { issuer: `https://${ISSUER}`, accountId: '1', namespace: 'a', serviceAccount: 'b' },
    { providerArn: PROVIDER, namespace: 'Bad_NS', serviceAccount: 'b' },
    { providerArn: PROVIDER, namespace: 'a', serviceAccount: 'b*' },
    { providerArn: PROVIDER, namespace: 'a', serviceAccount: 'b', audience: '*' },
    { namespace: 'a', serviceAccount: 'b' },
    { providerArn: PROVIDER, issuer: `https://${ISSUER}`, namespace: 'a', serviceAccount: 'b' },
  ]) {
    assert.throws(() => buildIrsaTrustPolicy(bad), { code: 'ERR_POLICY_INPUT' }, JSON.stringify(bad));
  }
  // each names the option it concerns, first, and no command-line flag
  for (const [bad, field] of [
    [{ providerArn: 'arn:aws:iam::1:role/x', namespace: 'a', serviceAccount: 'b' }, 'providerArn'],
    [{ issuer: 'http://x', accountId: '111122223333', namespace: 'a', serviceAccount: 'b' }, 'issuer'],
    [{ issuer: `https://${ISSUER}`, accountId: '1', namespace: 'a', serviceAccount: 'b' }, 'accountId'],
    [{ providerArn: PROVIDER, namespace: 'Bad_NS', serviceAccount: 'b' }, 'namespace'],
    [{ providerArn: PROVIDER, namespace: 'a', serviceAccount: 'b*' }, 'serviceAccount'],
    [{ providerArn: PROVIDER, namespace: 'a', serviceAccount: 'b', audience: '*' }, 'audience'],
  ] as const) {
    assert.throws(() => buildIrsaTrustPolicy(bad), (err: unknown) => err instanceof PolicyError && err.field === field && err.message.startsWith(`${field} "`) && !err.message.includes('--'), field);
  }
  assert.equal(oidcProviderArn(`https://${ISSUER}`, '111122223333', 'aws-cn'), `arn:aws-cn:iam::111122223333:oidc-provider/${ISSUER}`);
  assert.deepEqual(parseOidcProviderArn(PROVIDER), { partition: 'aws', accountId: '111122223333', hostPath: ISSUER });
});

test('T1 no sub condition (critical), T7 no aud condition', () => {
  assert.deepEqual(ids(trust()), ['T1:critical', 'T7:medium']);
  assert.deepEqual(ids(trust({ StringEquals: { [AUD]: 'sts.amazonaws.com' } })), ['T1:critical']);
  const noAud = trust({ StringEquals: { [SUB]: 'system:serviceaccount:a:b' } });
  assert.deepEqual(ids(noAud), ['T7:medium']);
  assert.deepEqual(ids(noAud, { clientIds: ['sts.amazonaws.com'] }), ['T7:low']);
  assert.deepEqual(ids(noAud, { clientIds: ['sts.amazonaws.com', 'openshift'] }), ['T7:high'], 'several client IDs: high');
  assert.deepEqual(ids(noAud, { roleKind: 'operator' }), ['T7:info'], 'ccoctl operator roles');
  const f = auditTrustPolicy(trust()).findings[0]!;
  assert.equal(f.rule, 'NO_SUB_CONDITION');
  assert.deepEqual(f.statement, { index: 0, sid: null });
  assert.match(f.problem, /every service account/);
  assert.match(f.fix, /StringEquals/);
});

test('T2/T3 wildcard sub, T4 negated sub, T5 wildcard under StringEquals, T18 format', () => {
  const like = (v: string) => ids(trust({ StringLike: { [SUB]: v }, StringEquals: { [AUD]: 'sts.amazonaws.com' } }));
  assert.deepEqual(like('*'), ['T2:critical']);
  assert.deepEqual(like('system:*'), ['T2:critical']);
  assert.deepEqual(like('system:serviceaccount:*'), ['T2:critical']);
  assert.deepEqual(like('system:serviceaccount:*:my-sa'), ['T2:critical']);
  assert.deepEqual(like('system:serviceaccount:team-?:my-sa'), ['T2:critical']);
  assert.deepEqual(like('system:serviceaccount:team-a:*'), ['T3:medium']);
  assert.deepEqual(like('system:serviceaccount:team-a:app-*'), ['T3:medium']);
  assert.deepEqual(like('system:serviceaccount:team-a:app'), [], 'StringLike without wildcard is fine');
  const op = (o: string) => ids(trust({ [o]: { [SUB]: 'system:serviceaccount:a:b' }, StringEquals: { [AUD]: 'sts.amazonaws.com' } }));
  // a negated sub in an Allow admits every other subject: evaluation confirms it and raises it to critical
  assert.deepEqual(op('StringNotEquals'), ['T23:critical', 'T4:high']);
  assert.deepEqual(op('StringNotLike'), ['T23:critical', 'T4:high']);
  assert.deepEqual(op('StringEqualsIfExists'), ['T4:high']);
  assert.deepEqual(op('ForAllValues:StringEquals'), ['T4:high']);
  assert.deepEqual(op('ForAnyValue:StringEquals'), []);
  const eq = (v: string) => ids(trust({ StringEquals: { [SUB]: v, [AUD]: 'sts.amazonaws.com' } }));
  assert.deepEqual(eq('system:serviceaccount:a:*'), ['T5:high']);
  assert.deepEqual(eq('system:serviceaccount:default:my_sa'), ['T18:info']);
  assert.deepEqual(eq('system:serviceaccount:default'), ['T18:info']);
  assert.deepEqual(eq('system:serviceaccount:Default:sa'), ['T18:info'], 'case matters in sub');
  assert.deepEqual(ids(trust({ StringEquals: { [SUB]: 'system:serviceaccount:a:b', [AUD]: 'sts.*' } })), ['T5:high']);
});

test('T6 condition key prefix does not match the provider', () => {
  const key = (prefix: string, op = 'StringEquals') =>
    ids(trust(op === 'StringEquals'
      ? { StringEquals: { [`${prefix}:sub`]: 'system:serviceaccount:a:b', [AUD]: 'sts.amazonaws.com' } }
      : { [op]: { [`${prefix}:sub`]: 'system:serviceaccount:a:b' }, StringEquals: { [AUD]: 'sts.amazonaws.com' } }));
  // the wrong-prefix key is absent at runtime, so StringEquals refuses every token: T1 is softened by evaluation
  assert.deepEqual(key(`https://${ISSUER}`), ['T6:high', 'T1:info'], 'scheme included');
  assert.deepEqual(key(`${ISSUER}/`), ['T6:high', 'T1:info'], 'trailing slash');
  assert.deepEqual(key('oidc.eks.us-east-1.amazonaws.com/id/OTHERCLUSTER'), ['T6:high', 'T1:info'], 'copied from another cluster');
  assert.deepEqual(key('oidc.eks.us-east-1.amazonaws.com/id/OTHER', 'StringNotEquals'), ['T1:critical', 'T6:critical'], 'negated: wide open');
  assert.deepEqual(key(ISSUER.toUpperCase()), [], 'key names are case-insensitive');
  assert.deepEqual(ids(good, { providerArn: 'arn:aws:iam::111122223333:oidc-provider/other.example.com' }), ['T6:high']);
  assert.deepEqual(ids(good, { providerArn: PROVIDER }), []);
});

test('T8 aud wildcard or negated, T19 IfExists/ForAllValues vacuous', () => {
  const aud = (op: string, v = 'sts.amazonaws.com') => ids(trust({ StringEquals: { [SUB]: 'system:serviceaccount:a:b' }, [op]: { [AUD]: v } }));
  assert.deepEqual(aud('StringLike', 'sts.*'), ['T8:medium']);
  assert.deepEqual(aud('StringNotEquals', 'openshift'), ['T8:medium']);
  assert.deepEqual(aud('StringEqualsIfExists'), ['T19:high']);
  assert.deepEqual(aud('ForAllValues:StringEquals'), ['T19:high']);
  const amr = ids(trust({ StringEquals: { [SUB]: 'system:serviceaccount:a:b', [AUD]: 'sts.amazonaws.com' }, 'ForAllValues:StringEquals': { [`${ISSUER}:amr`]: 'authenticated' } }));
  assert.deepEqual(amr, ['T19:high']);
});

test('T9 wildcard principal, T20 non-OIDC principal for web identity, T11 several providers, T12 broad action, T14 Not*', () => {
  const c = { StringEquals: { [SUB]: 'system:serviceaccount:a:b', [AUD]: 'sts.amazonaws.com' } };
  assert.deepEqual(ids(trust(c, { Principal: '*' })), ['T9:critical']);
  assert.deepEqual(ids(trust(undefined, { Principal: '*' })), ['T1:critical', 'T9:critical']);
  assert.deepEqual(ids(trust(c, { Principal: { AWS: '*' } })), ['T9:critical']);
  assert.deepEqual(ids(trust(c, { Principal: { Federated: '*' } })), ['T9:critical']);
  assert.deepEqual(ids(trust(c, { Principal: { AWS: 'arn:aws:iam::111122223333:root' } })), ['T20:high']);
  assert.deepEqual(ids(trust(c, { Principal: { Federated: 'accounts.google.com' } })), ['T20:high']);
  assert.deepEqual(ids(trust(c, { Principal: { Service: 'ec2.amazonaws.com' } })), ['T20:high']);
  const other = 'arn:aws:iam::111122223333:oidc-provider/oidc.example.com/id/OTHER';
  assert.deepEqual(ids(trust(c, { Principal: { Federated: [PROVIDER, other] } })), ['T11:high', 'T7:medium']);
  assert.deepEqual(ids(trust(c, { Action: 'sts:*' })), ['T12:medium']);
  assert.deepEqual(ids(trust(c, { Action: ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession'] })), []);
  const notAction = trust(c);
  const st = (notAction.Statement as PolicyStatement[])[0]!;
  delete st.Action;
  st.NotAction = 'sts:AssumeRole';
  assert.deepEqual(ids(notAction), ['T14:high', 'T12:medium']);
  const np: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', NotPrincipal: { AWS: 'arn:aws:iam::1:root' }, Action: 'sts:AssumeRole' }] };
  assert.deepEqual(ids(np), ['T14:high', 'T21:info']);
});

test('T15 Pod Identity, T16 cross-account, T17 long session, T21 no web identity, Deny statements ignored', () => {
  const pod: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'pods.eks.amazonaws.com' }, Action: ['sts:AssumeRole', 'sts:TagSession'] }] };
  assert.deepEqual(ids(pod), ['T15:medium', 'T21:info']);
  const scoped = structuredClone(pod);
  (scoped.Statement as PolicyStatement[])[0]!.Condition = { StringEquals: { 'aws:RequestTag/kubernetes-namespace': 'a' } };
  assert.deepEqual(ids(scoped), ['T21:info']);
  const cross: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::999999999999:root' }, Action: 'sts:AssumeRole' }] };
  assert.deepEqual(ids(cross, { accountId: '111122223333' }), ['T16:high', 'T21:info']);
  const guarded = structuredClone(cross);
  (guarded.Statement as PolicyStatement[])[0]!.Condition = { StringEquals: { 'sts:ExternalId': 'x' } };
  assert.deepEqual(ids(guarded, { accountId: '111122223333' }), ['T21:info']);
  assert.deepEqual(ids(good, { maxSessionDuration: 43200 }), ['T17:low']);
  const withDeny: PolicyDocument = { Version: '2012-10-17', Statement: [(good.Statement as PolicyStatement[])[0]!, { Effect: 'Deny', Principal: '*', Action: 'sts:AssumeRoleWithWebIdentity' }] };
  assert.deepEqual(ids(withDeny), []);
});

test('audit: sibling statements are all reported, most severe first; malformed documents throw', () => {
  const doc: PolicyDocument = { Version: '2012-10-17', Statement: [
    { Sid: 'Good', ...(good.Statement as PolicyStatement[])[0]! },
    { Sid: 'Loose', Effect: 'Allow', Principal: { Federated: PROVIDER }, Action: 'sts:AssumeRoleWithWebIdentity' },
  ] };
  const r = auditTrustPolicy(doc);
  assert.deepEqual(r.findings.map((f) => [f.id, f.statement?.sid]), [['T1', 'Loose'], ['T7', 'Loose']]);
  assert.equal(r.failed, true);
  assert.throws(() => auditTrustPolicy('{'), { code: 'MalformedPolicyDocument', message: 'Syntax errors in policy.' });
  assert.throws(() => auditTrustPolicy(JSON.stringify(trust(undefined, { Resource: '*' } as object))), { message: 'Has prohibited field Resource.' });
});

test('audit rule catalogue: unique ids and names', () => {
  assert.equal(new Set(AUDIT_RULES.map((r) => r.id)).size, AUDIT_RULES.length);
  assert.equal(new Set(AUDIT_RULES.map((r) => r.rule)).size, AUDIT_RULES.length);
});

test('web-identity context: keys exactly as STS builds them', () => {
  const now = new Date('2026-01-02T03:04:05.678Z');
  const r = buildWebIdentityContext({
    providerArn: PROVIDER,
    claims: {
      sub: 'system:serviceaccount:default:my-sa',
      aud: ['openshift', 'sts.amazonaws.com'],
      amr: 'authenticated',
      'https://aws.amazon.com/source_identity': 'alice',
      'https://aws.amazon.com/tags': { principal_tags: { team: ['red'], env: 'prod' }, transitive_tag_keys: ['team'] },
    },
    clientIds: ['sts.amazonaws.com'],
    roleSessionName: 'sess',
    now,
  });
  assert.deepEqual(r.requiredActions, ['sts:AssumeRoleWithWebIdentity', 'sts:SetSourceIdentity', 'sts:TagSession']);
  assert.deepEqual(r.context.principal, { type: 'Federated', id: PROVIDER });
  assert.deepEqual(r.context.keys, {
    [SUB]: 'system:serviceaccount:default:my-sa',
    [AUD]: 'sts.amazonaws.com',
    [`${ISSUER}:amr`]: ['authenticated'],
    'sts:RoleSessionName': 'sess',
    'sts:SourceIdentity': 'alice',
    'aws:RequestTag/team': 'red',
    'aws:RequestTag/env': 'prod',
    'aws:TagKeys': ['team', 'env'],
    'sts:TransitiveTagKeys': ['team'],
    'aws:PrincipalAccount': '111122223333',
    'aws:PrincipalType': 'User',
    'aws:userid': PROVIDER,
    'aws:FederatedProvider': PROVIDER,
    'aws:CurrentTime': '2026-01-02T03:04:05Z',
    'aws:EpochTime': '1767323045',
  });
  // azp present: aud key is azp, oaud the original
  const azp = buildWebIdentityContext({ providerArn: PROVIDER, claims: { sub: 7, aud: 'client', azp: 'sts.amazonaws.com' } });
  assert.equal(azp.context.keys![SUB], '7', 'numbers become strings');
  assert.equal(azp.context.keys![AUD], 'sts.amazonaws.com');
  assert.equal(azp.context.keys![`${ISSUER}:oaud`], 'client');
  assert.equal(azp.context.keys![`${ISSUER}:azp`], 'sts.amazonaws.com');
  // no aud accepted by the provider: a note
  const none = buildWebIdentityContext({ providerArn: PROVIDER, claims: { sub: 's', aud: 'x' }, clientIds: ['sts.amazonaws.com'] });
  assert.match(none.notes.join(' '), /STS rejects the token/);
  assert.throws(() => buildWebIdentityContext({ providerArn: 'arn:aws:iam::1:role/x', claims: {} }), { code: 'ERR_POLICY_INPUT' });
  // Kubernetes' own claims are not condition keys
  const k8s = buildWebIdentityContext({ providerArn: PROVIDER, claims: { iss: 'https://x', sub: 's', aud: ['sts.amazonaws.com'], 'kubernetes.io': { namespace: 'default' } } });
  assert.match(k8s.notes.join(' '), /"kubernetes\.io" are not available as condition keys/);
  assert.equal(Object.keys(k8s.context.keys!).some((k) => k.includes('kubernetes')), false);
});

test('decodeJwtPayload: decodes without verifying; rejects non-JWTs', () => {
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const token = `${enc({ alg: 'RS256' })}.${enc({ sub: 'system:serviceaccount:a:b', aud: ['sts.amazonaws.com'] })}.c2ln`;
  assert.deepEqual(decodeJwtPayload(token), { sub: 'system:serviceaccount:a:b', aud: ['sts.amazonaws.com'] });
  for (const bad of ['abc', 'a.b', `${enc({})}.!!!.x`, `${enc({})}.${enc(['x'] as unknown as object)}.x`]) {
    assert.throws(() => decodeJwtPayload(bad), { code: 'ERR_POLICY_INPUT' }, bad);
  }
});

test('trust evaluation with required actions: TagSession must be allowed too', () => {
  const p = compilePolicy(good, { kind: 'trust', name: 'trust' });
  const req = buildWebIdentityContext({ providerArn: PROVIDER, claims: { sub: 'system:serviceaccount:default:my-sa', aud: 'sts.amazonaws.com', 'https://aws.amazon.com/tags': { principal_tags: { a: ['b'] } } } });
  const decisions = req.requiredActions.map((action) => evaluatePolicies({ resource: [p] }, { ...req.context, action }).decision);
  assert.deepEqual(decisions, ['Allow', 'ImplicitDeny']);
});

test('trust evaluation sees the principal keys STS sets for an OIDC caller (aws:PrincipalType User, aws:userid the provider ARN)', () => {
  const req = buildWebIdentityContext({ providerArn: PROVIDER, claims: { sub: 'system:serviceaccount:default:my-sa', aud: 'sts.amazonaws.com' } });
  const decide = (condition: PolicyStatement['Condition']) =>
    evaluatePolicies({ resource: [compilePolicy(trust(condition), { kind: 'trust', name: 'trust' })] }, req.context).decision;
  assert.equal(decide({ StringEquals: { 'aws:PrincipalType': 'User', [SUB]: 'system:serviceaccount:default:my-sa' } }), 'Allow');
  assert.equal(decide({ StringEquals: { 'aws:userid': PROVIDER, [SUB]: 'system:serviceaccount:default:my-sa' } }), 'Allow');
  assert.equal(decide({ StringNotEquals: { 'aws:PrincipalType': 'User' } }), 'ImplicitDeny');
  assert.equal(decide({ Null: { 'aws:PrincipalArn': 'true' } }), 'Allow'); // absent for OIDC callers
});

test('attack: policies open to every ServiceAccount are found by evaluation (Null sub, ArnLike "*")', () => {
  const nullSub = trust({ Null: { [SUB]: 'false' }, StringEquals: { [AUD]: 'sts.amazonaws.com' } });
  const r = auditTrustPolicy(nullSub);
  assert.equal(r.failed, true, 'Null {"sub": "false"} admits every token that has a sub');
  assert.deepEqual(r.findings.map((f) => `${f.id}:${f.severity}`), ['T23:critical']);
  assert.match(r.findings[0]!.problem, new RegExp(`sub "system:serviceaccount:${PROBE_NAMESPACE}:${PROBE_SERVICE_ACCOUNT}" and aud "sts.amazonaws.com" is allowed`));
  const arnLike = trust({ ArnLike: { [SUB]: '*' }, StringEquals: { [AUD]: 'sts.amazonaws.com' } });
  assert.deepEqual(ids(arnLike), ['T23:critical'], 'ArnLike "*" on sub');
  const arnNs = trust({ ArnLike: { [SUB]: 'system:serviceaccount:team-a:*' }, StringEquals: { [AUD]: 'sts.amazonaws.com' } });
  assert.deepEqual(ids(arnNs), ['T24:medium'], 'ArnLike with a namespace wildcard: the forms the pattern admits are evaluated');
  // the aud the policy names is used by the probe, and the provider's client ids when given
  const customAud = trust({ Null: { [SUB]: 'false' }, StringEquals: { [AUD]: 'my-client' } });
  assert.deepEqual(ids(customAud), ['T23:critical']);
  assert.deepEqual(ids(customAud, { clientIds: ['sts.amazonaws.com'] }).filter((x) => x.startsWith('T23')), [], 'STS rejects aud my-client before the policy: no probe passes');
});

test('T1 is not critical when a Deny StringNotEquals on sub restricts an Allow without sub', () => {
  const guarded: PolicyDocument = { Version: '2012-10-17', Statement: [
    { Effect: 'Allow', Principal: { Federated: PROVIDER }, Action: 'sts:AssumeRoleWithWebIdentity', Condition: { StringEquals: { [AUD]: 'sts.amazonaws.com' } } },
    { Effect: 'Deny', Principal: { Federated: PROVIDER }, Action: 'sts:AssumeRoleWithWebIdentity', Condition: { StringNotEquals: { [SUB]: 'system:serviceaccount:prod:app' } } },
  ] };
  const r = auditTrustPolicy(guarded);
  assert.equal(r.failed, false);
  assert.deepEqual(r.findings.map((f) => `${f.id}:${f.severity}`), ['T1:info']);
  assert.match(r.findings[0]!.problem, /evaluation refuses a token/);
  // a Deny that does not restrict (StringNotLike "*" never applies) leaves it critical
  const fake = structuredClone(guarded);
  (fake.Statement as PolicyStatement[])[1]!.Condition = { StringNotLike: { [SUB]: 'system:serviceaccount:*' } };
  assert.deepEqual(ids(fake), ['T1:critical']);
});

test('T22 duplicate keys and T25 a Federated provider of another account', () => {
  const text = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Effect":"Allow","Principal":{"Federated":"${PROVIDER}"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"${SUB}":"system:serviceaccount:a:b","${AUD}":"sts.amazonaws.com"}}}]}`;
  const r = auditTrustPolicy(text);
  assert.deepEqual(r.findings.map((f) => `${f.id}:${f.severity}`), ['T22:high']);
  assert.match(r.findings[0]!.problem, /Key "Effect" is written twice at \$\.Statement\[0\]\.Effect \(line 1, column 55\)/);
  const other = `arn:aws:iam::444455556666:oidc-provider/${ISSUER}`;
  const foreign = trust({ StringEquals: { [SUB]: 'system:serviceaccount:a:b', [AUD]: 'sts.amazonaws.com' } }, { Principal: { Federated: other } });
  assert.deepEqual(ids(foreign, { accountId: '111122223333' }), ['T25:high']);
  assert.deepEqual(ids(foreign, { roleArn: 'arn:aws:iam::111122223333:role/app' }), ['T25:high'], 'the account of --role-arn');
  assert.deepEqual(ids(foreign, { accountId: '444455556666' }), []);
});
