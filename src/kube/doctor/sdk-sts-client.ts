/**
 * The {@link DoctorStsClient} over the AWS SDK for JavaScript v3 (@aws-sdk/client-sts), loaded on first use so
 * that `irsa` starts without it. One attempt per call (no retries), bounded in time, the target's endpoint, region and
 * CA bundle.
 * @module
 */
import { Agent } from 'node:https';
import type { DoctorStsClient, StsFailure, StsOutcome, StsTarget } from './sts.js';

type StsModule = typeof import('@aws-sdk/client-sts');
let loaded: Promise<StsModule> | undefined;
function loadSts(): Promise<StsModule> {
  // The SDK's notice about its future Node 22 requirement is for package maintainers, not for the doctor's reader.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return (loaded ??= import('@aws-sdk/client-sts'));
}

/** Wire codes whose SDK exception name differs (the SDK adds `Exception` to some). */
const WIRE_CODES: Record<string, string> = {
  InvalidIdentityTokenException: 'InvalidIdentityToken',
  IDPCommunicationErrorException: 'IDPCommunicationError',
  IDPRejectedClaimException: 'IDPRejectedClaim',
  MalformedPolicyDocumentException: 'MalformedPolicyDocument',
  PackedPolicyTooLargeException: 'PackedPolicyTooLarge',
};

interface SdkError {
  name?: string;
  message?: string;
  code?: string;
  Code?: string;
  Error?: { Code?: string };
  $metadata?: { httpStatusCode?: number };
  $response?: unknown;
  $fault?: string;
}

/** AWS's code and message from an SDK exception, or the network failure under it. */
export function stsFailureFromSdkError(err: unknown): StsFailure {
  const e = (err ?? {}) as SdkError;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && e.$fault !== undefined) {
    const name = e.Error?.Code ?? e.Code ?? e.name ?? 'UnknownError';
    return { code: WIRE_CODES[name] ?? name, message: (e.message ?? '').replace(/\s+/g, ' ').trim(), httpStatus: status };
  }
  const raw = (e.$response as { statusCode?: number } | undefined)?.statusCode;
  if (raw !== undefined) return { message: `answered HTTP ${raw} without an AWS XML document`, httpStatus: raw }; // not STS
  const networkCode = e.code ?? (e as { cause?: { code?: string } }).cause?.code;
  return { message: (e.message ?? String(err)).replace(/\s+/g, ' ').trim(), ...(networkCode !== undefined ? { networkCode } : {}) };
}

/** Options of {@link createSdkStsClient}. */
export interface SdkStsClientOptions {
  /** Connecting may take this long (default 5 s). */
  connectTimeoutMs?: number;
  /** The whole exchange may take this long (default 15 s): an endpoint that accepts and never answers fails. */
  requestTimeoutMs?: number;
}

function clientConfig(target: StsTarget, options: SdkStsClientOptions, credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken: string }): Record<string, unknown> {
  return {
    region: target.region,
    endpoint: target.endpoint,
    maxAttempts: 1,
    requestHandler: {
      connectionTimeout: options.connectTimeoutMs ?? 5_000,
      requestTimeout: options.requestTimeoutMs ?? 15_000,
      throwOnRequestTimeout: true,
      ...(target.caBundle !== undefined ? { httpsAgent: new Agent({ ca: target.caBundle }) } : {}),
    },
    ...(credentials !== undefined ? { credentials } : {}),
  };
}

async function call<T>(fn: () => Promise<T>): Promise<StsOutcome<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    return { ok: false, failure: stsFailureFromSdkError(err) };
  }
}

/**
 * The doctor's STS client over @aws-sdk/client-sts.
 * @example
 * const report = await runDoctor(input, { ...deps, sts: createSdkStsClient() });
 */
export function createSdkStsClient(options: SdkStsClientOptions = {}): DoctorStsClient {
  return {
    async assumeRoleWithWebIdentity(input, target) {
      const { STSClient, AssumeRoleWithWebIdentityCommand } = await loadSts();
      const client = new STSClient(clientConfig(target, options));
      try {
        return await call(async () => {
          const out = await client.send(new AssumeRoleWithWebIdentityCommand({ RoleArn: input.roleArn, RoleSessionName: input.sessionName, WebIdentityToken: input.token }));
          const c = out.Credentials;
          if (c?.AccessKeyId === undefined || c.SecretAccessKey === undefined || c.SessionToken === undefined) {
            throw Object.assign(new Error('the answer holds no Credentials'), { code: 'EBADRESPONSE' });
          }
          return {
            credentials: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, ...(c.Expiration ? { expiration: c.Expiration } : {}) },
            ...(out.AssumedRoleUser?.Arn !== undefined ? { assumedRoleArn: out.AssumedRoleUser.Arn } : {}),
            ...(out.SubjectFromWebIdentityToken !== undefined ? { subject: out.SubjectFromWebIdentityToken } : {}),
            ...(out.Provider !== undefined ? { provider: out.Provider } : {}),
            ...(out.Audience !== undefined ? { audience: out.Audience } : {}),
          };
        });
      } finally {
        client.destroy();
      }
    },
    async getCallerIdentity(credentials, target) {
      const { STSClient, GetCallerIdentityCommand } = await loadSts();
      const client = new STSClient(clientConfig(target, options, credentials));
      try {
        return await call(async () => {
          const out = await client.send(new GetCallerIdentityCommand({}));
          return { ...(out.Account !== undefined ? { account: out.Account } : {}), ...(out.Arn !== undefined ? { arn: out.Arn } : {}), ...(out.UserId !== undefined ? { userId: out.UserId } : {}) };
        });
      } finally {
        client.destroy();
      }
    },
  };
}
