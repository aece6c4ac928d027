/**
 * The AWS plane's benchmarks: each prints req/s beside a baseline measured in the same run and the ratio.
 * IAM (signed GetRole vs a bare SigV4-verifying server) lives in iam.ts, STS (AssumeRoleWithWebIdentity) in sts.ts,
 * S3 (signed ListBuckets vs a bare SigV4-verifying server and moto.server) in s3.ts.
 * @module
 */
import { runIam } from './iam.js';
import { runS3ListBuckets } from './s3.js';
import { runSts } from './sts.js';

export async function run(short: boolean): Promise<void> {
  await runIam(short);
  await runSts(short);
  await runS3ListBuckets(short);
}
