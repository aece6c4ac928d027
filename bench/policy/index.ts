/**
 * Policy evaluation: a role with 5 attached policies of 4 statements each (conditions included), evaluated
 * compiled (src/policy evaluatePolicies) and interpreted (the reference evaluator over the parsed JSON) on the
 * same requests in the same run. Prints evaluations/s and the ratio.
 */
import { compilePolicy, evaluatePolicies, type PolicyDocument, type RequestContext } from '../../src/policy/index.js';
import { referenceEvaluate } from '../../test/policy/reference.js';

function rolePolicies(): PolicyDocument[] {
  const docs: PolicyDocument[] = [];
  for (let p = 0; p < 5; p++) {
    docs.push({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: `Read${p}`,
          Effect: 'Allow',
          Action: ['s3:Get*', 's3:List*', `s3:Describe${p}*`],
          Resource: [`arn:aws:s3:::bucket-${p}`, `arn:aws:s3:::bucket-${p}/*`],
          Condition: { IpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '192.168.0.0/16'] }, Bool: { 'aws:SecureTransport': 'true' } },
        },
        {
          Sid: `Home${p}`,
          Effect: 'Allow',
          Action: ['s3:PutObject', 's3:DeleteObject'],
          Resource: `arn:aws:s3:::bucket-${p}/home/\${aws:PrincipalTag/team}/*`,
          Condition: { StringEquals: { 'aws:RequestedRegion': ['eu-west-1', 'us-east-1'] }, StringLike: { 'aws:userid': 'AROA*:*' } },
        },
        {
          Sid: `Tags${p}`,
          Effect: 'Allow',
          Action: 'ec2:*Tags',
          Resource: 'arn:aws:ec2:*:111122223333:instance/*',
          Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['team', 'env'] }, DateLessThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } },
        },
        {
          Sid: `NoDelete${p}`,
          Effect: 'Deny',
          Action: ['s3:DeleteBucket', 'iam:*'],
          Resource: '*',
          Condition: { StringNotEqualsIfExists: { 'aws:PrincipalTag/role': 'admin' } },
        },
      ],
    });
  }
  return docs;
}

function requests(): RequestContext[] {
  const keys = {
    'aws:SourceIp': '10.1.2.3',
    'aws:SecureTransport': 'true',
    'aws:PrincipalTag/team': 'red',
    'aws:RequestedRegion': 'eu-west-1',
    'aws:userid': 'AROAEXAMPLE:session',
    'aws:CurrentTime': '2026-11-28T12:00:00Z',
    'aws:TagKeys': ['team'],
  };
  return [
    { action: 's3:GetObject', resource: 'arn:aws:s3:::bucket-4/data/file.csv', keys },
    { action: 's3:PutObject', resource: 'arn:aws:s3:::bucket-2/home/red/x', keys },
    { action: 's3:PutObject', resource: 'arn:aws:s3:::bucket-2/home/blue/x', keys },
    { action: 'ec2:CreateTags', resource: 'arn:aws:ec2:eu-west-1:111122223333:instance/i-123', keys },
    { action: 'iam:CreateRole', resource: 'arn:aws:iam::111122223333:role/x', keys },
    { action: 'sqs:SendMessage', resource: 'arn:aws:sqs:eu-west-1:111122223333:q', keys },
  ];
}

function measure(name: string, ms: number, fn: (i: number) => unknown): number {
  // warm up
  for (let i = 0; i < 2000; i++) fn(i);
  let n = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < end) {
    for (let i = 0; i < 500; i++) fn(n + i);
    n += 500;
    now = process.hrtime.bigint();
  }
  const rate = n / (Number(now - start) / 1e9);
  console.log(`${name.padEnd(12)} ${Math.round(rate).toLocaleString('en-US').padStart(12)} evaluations/s`);
  return rate;
}

export async function run(short: boolean): Promise<void> {
  const docs = rolePolicies();
  const compiled = docs.map((d, i) => compilePolicy(d, { kind: 'managed', name: `policy-${i}` }));
  const reqs = requests();
  // both engines must agree before we time them
  for (const r of reqs) {
    const a = evaluatePolicies({ identity: compiled }, r).decision;
    const b = referenceEvaluate({ identity: docs }, r);
    if (a !== b) throw new Error(`engines disagree on ${r.action}: ${a} vs ${b}`);
  }
  const ms = short ? 1500 : 5000;
  console.log(`role: 5 policies x 4 statements (conditions in every statement), ${reqs.length} requests in rotation`);
  let sink = 0;
  const set = { identity: compiled };
  const compiledRate = measure('compiled', ms, (i) => {
    if (evaluatePolicies(set, reqs[i % reqs.length]!).decision === 'Allow') sink++;
  });
  const interpretedRate = measure('interpreted', ms, (i) => {
    if (referenceEvaluate({ identity: docs }, reqs[i % reqs.length]!) === 'Allow') sink++;
  });
  const explainRate = measure('explained', short ? 500 : 2000, (i) => {
    if (evaluatePolicies(set, reqs[i % reqs.length]!, { explain: true }).decision === 'Allow') sink++;
  });
  console.log(`ratio compiled/interpreted: ${(compiledRate / interpretedRate).toFixed(1)}x (goal >= 5x; compiled goal >= 200,000/s)`);
  console.log(`explain costs ${(compiledRate / explainRate).toFixed(1)}x a plain evaluation`);
  if (sink < 0) console.log(sink);
}
