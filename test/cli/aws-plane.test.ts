/**
 * The AWS plane as `irsa up` runs it: the HTTPS listener's certificate (from the state directory's CA) is valid for
 * AWS's own names, so an SDK that resolves sts/iam/s3.amazonaws.com to the plane and trusts AWS_CA_BUNDLE connects.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startAwsPlane, awsEnvLines } from '../../src/cli/aws-plane.js';
import { createWebhookCertificates, writeWebhookCertificates } from '../../src/webhook/index.js';

function get(url: string, servername: string, ca: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/?Action=GetRole&Version=2010-05-08&RoleName=x`, { ca, servername, headers: { host: servername } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('--aws-tls-port: HTTPS with a certificate for AWS\'s names from the local CA; AWS_CA_BUNDLE in the env lines', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'irsa-aws-plane-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeWebhookCertificates(join(dir, 'tls'), createWebhookCertificates({ localhost: true }));
  const aws = await startAwsPlane({
    stateDir: dir, host: '127.0.0.1', port: 0, tlsPort: 0, accountId: '000000000000', region: 'eu-west-1',
    issuer: 'https://oidc.irsa.local', issuerUrl: 'https://127.0.0.1:1', tlsDir: join(dir, 'tls'), logger: pino({ level: 'silent' }),
  });
  t.after(() => aws.stop());
  assert.ok(aws.tlsUrl);
  const ca = await readFile(join(dir, 'tls', 'ca.crt'));
  for (const name of ['sts.amazonaws.com', 'sts.eu-west-1.amazonaws.com', 'iam.amazonaws.com', 's3.amazonaws.com', 'bucket.s3.amazonaws.com', 'bucket.s3.eu-west-1.amazonaws.com']) {
    const res = await get(aws.tlsUrl!, name, ca);
    assert.equal(res.status, 403, `${name}: ${res.body}`);
    assert.match(res.body, /<Code>MissingAuthenticationToken<\/Code>/);
  }
  await assert.rejects(get(aws.tlsUrl!, 'sts.example.com', ca), /altnames|certificate/i);
  const lines = awsEnvLines(aws, 'eu-west-1', dir);
  assert.ok(lines.includes(`export AWS_CA_BUNDLE=${join(dir, 'tls', 'ca.crt')}`));
  assert.ok(lines.includes('export AWS_DEFAULT_REGION=eu-west-1'));
});
