/**
 * The AWS plane's benchmarks: each prints req/s beside a baseline measured in the same run and the ratio.
 * IAM (signed GetRole vs a bare SigV4-verifying server) lives in iam.ts; STS and S3 add theirs beside it.
 * @module
 */
import { runIam } from './iam.js';

export async function run(short: boolean): Promise<void> {
  await runIam(short);
}
