/**
 * The AWS plane's benchmarks, each beside its baseline in the same run: signed S3 ListBuckets (bench/aws/s3.ts).
 * @module
 */
import { runS3ListBuckets } from './s3.js';

export async function run(short: boolean): Promise<void> {
  await runS3ListBuckets(short);
}
