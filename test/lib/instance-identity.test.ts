import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { partitionOfRegion } from '../../src/lib/aws-arn.js';
import { InstanceMetadataError } from '../../src/lib/errors.js';
import { fetchInstanceIdentity } from '../../src/lib/instance-identity.js';
import { startFakeImds } from './fake-imds.js';

const DOCUMENT = { accountId: '444455556666', architecture: 'x86_64', instanceId: 'i-0abc', region: 'cn-north-1', privateIp: '10.0.0.1' };

test('partitionOfRegion: the partition of each region family', () => {
  for (const [region, partition] of [['us-west-2', 'aws'], ['eu-central-1', 'aws'], ['cn-north-1', 'aws-cn'], ['us-gov-west-1', 'aws-us-gov'], ['us-iso-east-1', 'aws-iso'], ['us-isob-east-1', 'aws-iso-b'], ['eusc-de-east-1', 'aws-eusc']]) {
    assert.equal(partitionOfRegion(region!), partition, region);
  }
});

test('IMDSv2: a session token first, then the identity document with it', async () => {
  const imds = await startFakeImds(DOCUMENT);
  try {
    assert.deepEqual(await fetchInstanceIdentity({ endpoint: `${imds.url}/` }), { accountId: '444455556666', region: 'cn-north-1', partition: 'aws-cn' });
    assert.deepEqual(imds.requests, ['PUT /latest/api/token', 'GET /latest/dynamic/instance-identity/document tok-123']);
  } finally {
    await imds.close();
  }
});

test('an instance without IMDSv2 tokens is read over IMDSv1, as the AWS SDKs do', async () => {
  const imds = await startFakeImds({ ...DOCUMENT, region: 'us-gov-west-1' }, { v1Only: true });
  try {
    assert.deepEqual(await fetchInstanceIdentity({ endpoint: imds.url }), { accountId: '444455556666', region: 'us-gov-west-1', partition: 'aws-us-gov' });
    assert.deepEqual(imds.requests.at(-1), 'GET /latest/dynamic/instance-identity/document');
  } finally {
    await imds.close();
  }
});

test('errors name the endpoint and why: refused, answering 500 (after retries), bad documents', async () => {
  // a port nothing listens on
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  const closedPort = (probe.address() as { port: number }).port;
  await new Promise<void>((done) => probe.close(() => done()));
  await assert.rejects(fetchInstanceIdentity({ endpoint: `http://127.0.0.1:${closedPort}`, timeoutMs: 500, retries: 0 }), (err: unknown) =>
    err instanceof InstanceMetadataError && err.exitCode === 1 && err.message.startsWith(`cannot read the instance identity from EC2 instance metadata at http://127.0.0.1:${closedPort} (`) && err.message.endsWith('); run on EC2 with IMDS reachable'));

  const failing = await startFakeImds(DOCUMENT, { refuse: true });
  try {
    await assert.rejects(fetchInstanceIdentity({ endpoint: failing.url, retries: 1, backoffSeconds: 0 }), (err: unknown) => err instanceof InstanceMetadataError && /status code 500/.test(err.message));
    assert.ok(failing.requests.filter((r) => r.startsWith('GET')).length >= 2, `retried: ${failing.requests.join(', ')}`);
  } finally {
    await failing.close();
  }

  for (const [document, why] of [
    ['not json', /is not JSON/],
    [{ region: 'us-east-1' }, /lacks accountId or region/],
    [{ accountId: '444455556666' }, /lacks accountId or region/],
    [{ accountId: '4444', region: 'us-east-1' }, /accountId "4444" is not 12 digits/],
  ] as const) {
    const imds = await startFakeImds(document);
    try {
      await assert.rejects(fetchInstanceIdentity({ endpoint: imds.url, retries: 0 }), (err: unknown) => err instanceof InstanceMetadataError && why.test(err.message), JSON.stringify(document));
    } finally {
      await imds.close();
    }
  }
});
