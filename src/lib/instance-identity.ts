/**
 * The EC2 instance this process runs on, from instance metadata (IMDS): its account, region and partition, read
 * from the instance identity document as upstream's webhook does for `--compose-role-arn`. IMDS is spoken by AWS's
 * own client (`@aws-sdk/ec2-metadata-service`: IMDSv2 session token, IMDSv1 fallback unless disabled, retries).
 * @module
 */
import { ACCOUNT_ID_PATTERN, partitionOfRegion } from './aws-arn.js';
import { InstanceMetadataError } from './errors.js';
import { isRecord } from './is-record.js';

/** IMDS's address when nothing else is configured. */
export const DEFAULT_IMDS_ENDPOINT = 'http://169.254.169.254';
const IDENTITY_DOCUMENT_PATH = '/latest/dynamic/instance-identity/document';

/** Where the instance runs. */
export interface InstanceIdentity {
  accountId: string;
  region: string;
  /** From the region: `aws`, `aws-cn`, `aws-us-gov`, … */
  partition: string;
}

/** Options of {@link fetchInstanceIdentity}. */
export interface FetchInstanceIdentityOptions {
  /** IMDS base URL (`AWS_EC2_METADATA_SERVICE_ENDPOINT`); default {@link DEFAULT_IMDS_ENDPOINT}. */
  endpoint?: string;
  /** Per request, default 2000 ms. */
  timeoutMs?: number;
  /** Retries after a failed request, default 2 (each after `backoffSeconds`). */
  retries?: number;
  /** Default 0.2 s. */
  backoffSeconds?: number;
}

/**
 * Reads the instance identity document. Throws {@link InstanceMetadataError} naming the endpoint and the reason when
 * IMDS cannot be reached, answers with an error, or returns a document without `accountId` and `region`.
 * @example
 * const { accountId, partition } = await fetchInstanceIdentity({ endpoint: 'http://169.254.169.254' });
 */
export async function fetchInstanceIdentity(options: FetchInstanceIdentityOptions = {}): Promise<InstanceIdentity> {
  const endpoint = options.endpoint ?? DEFAULT_IMDS_ENDPOINT;
  const fail = (why: string, cause?: unknown): never => {
    throw new InstanceMetadataError(`cannot read the instance identity from EC2 instance metadata at ${endpoint} (${why}); run on EC2 with IMDS reachable`, cause === undefined ? {} : { cause });
  };
  let base: URL;
  try {
    base = new URL(endpoint);
  } catch (cause) {
    return fail('not a URL; use http://HOST[:PORT]', cause);
  }
  // the client appends the path to the endpoint's: no second slash, which proxies in front of IMDS may refuse
  const path = base.pathname.endsWith('/') ? IDENTITY_DOCUMENT_PATH.slice(1) : IDENTITY_DOCUMENT_PATH;
  // loaded on first use, as every AWS SDK module is: irsa starts without it
  const { MetadataService } = await import('@aws-sdk/ec2-metadata-service');
  const imds = new MetadataService({
    endpoint,
    httpOptions: { timeout: options.timeoutMs ?? 2000 },
    retries: options.retries ?? 2,
    backoff: options.backoffSeconds ?? 0.2,
  });
  let text: string;
  try {
    text = await imds.request(path, {});
  } catch (cause) {
    return fail((cause as Error).message, cause);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (cause) {
    return fail('the instance identity document is not JSON', cause);
  }
  if (!isRecord(doc) || typeof doc.accountId !== 'string' || typeof doc.region !== 'string' || doc.region === '') return fail('the instance identity document lacks accountId or region');
  if (!ACCOUNT_ID_PATTERN.test(doc.accountId)) return fail(`the instance identity document's accountId ${JSON.stringify(doc.accountId)} is not 12 digits`);
  return { accountId: doc.accountId, region: doc.region, partition: partitionOfRegion(doc.region) };
}
