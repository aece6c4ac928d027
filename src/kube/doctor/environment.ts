/**
 * What the AWS SDKs read from the environment for web identity (AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE, region,
 * regional STS, session name) and what they would use instead of it (static keys, a selected profile).
 * @module
 */
import {
  ENV_ACCESS_KEY_ID,
  ENV_DEFAULT_REGION,
  ENV_REGION,
  ENV_ROLE_ARN,
  ENV_ROLE_SESSION_NAME,
  ENV_SECRET_ACCESS_KEY,
  ENV_SECURITY_TOKEN,
  ENV_SESSION_TOKEN,
  ENV_STS_REGIONAL_ENDPOINTS,
  ENV_WEB_IDENTITY_TOKEN_FILE,
  STS_REGIONAL_ENDPOINTS_LEGACY,
  STS_REGIONAL_ENDPOINTS_REGIONAL,
} from '../../lib/wire-names.js';
import { fail, ok, warn, type CheckResult } from './check.js';

export type DoctorEnv = Readonly<Record<string, string | undefined>>;

/** STS's RoleSessionName rule: 2–64 characters of `[\w+=,.@-]`. */
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
/** An AWS region name (`us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`). */
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** The value of an env var, `undefined` when unset or empty (SDKs treat both alike). */
export function envValue(env: DoctorEnv, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}

/** The region SDKs use: the JS SDK reads AWS_REGION, botocore AWS_DEFAULT_REGION; AWS_REGION wins here. */
export function envRegion(env: DoctorEnv): string | undefined {
  return envValue(env, ENV_REGION) ?? envValue(env, ENV_DEFAULT_REGION);
}

const NOT_MUTATED_FIX = 'annotate the ServiceAccount with eks.amazonaws.com/role-arn and recreate the pod so the webhook injects it';

/** `env.role-arn` and `env.token-file`: the two variables the web-identity provider needs (or the profile's keys). */
export function checkWebIdentityEnv(env: DoctorEnv, profile?: { roleArn: string; tokenFile: string; where: string }): CheckResult[] {
  const role = envValue(env, ENV_ROLE_ARN);
  const file = envValue(env, ENV_WEB_IDENTITY_TOKEN_FILE);
  return [
    role !== undefined ? ok('env.role-arn', `AWS_ROLE_ARN=${role}`)
      : profile !== undefined ? ok('env.role-arn', `role_arn=${profile.roleArn} (${profile.where}; AWS_ROLE_ARN not set)`)
        : fail('env.role-arn', 'AWS_ROLE_ARN is not set', NOT_MUTATED_FIX),
    file !== undefined ? ok('env.token-file', `AWS_WEB_IDENTITY_TOKEN_FILE=${file}`)
      : profile !== undefined ? ok('env.token-file', `web_identity_token_file=${profile.tokenFile} (${profile.where}; AWS_WEB_IDENTITY_TOKEN_FILE not set)`)
        : fail('env.token-file', 'AWS_WEB_IDENTITY_TOKEN_FILE is not set', NOT_MUTATED_FIX),
  ];
}

/** `env.region`: a region set, valid, and the same for both SDK families. */
export function checkRegion(env: DoctorEnv): CheckResult {
  const region = envValue(env, ENV_REGION);
  const defaultRegion = envValue(env, ENV_DEFAULT_REGION);
  for (const [name, value] of [[ENV_REGION, region], [ENV_DEFAULT_REGION, defaultRegion]] as const) {
    if (value !== undefined && !REGION.test(value)) {
      return fail('env.region', `${name}=${value} is not a region name`, `set ${name} to a region such as us-east-1`);
    }
  }
  if (region === undefined && defaultRegion === undefined) {
    return warn('env.region', 'neither AWS_REGION nor AWS_DEFAULT_REGION is set: STS calls go to us-east-1 or the global endpoint, and region-bound clients fail', 'set AWS_REGION and AWS_DEFAULT_REGION (the webhook injects both when it runs with a default region)');
  }
  if (region !== undefined && defaultRegion !== undefined && region !== defaultRegion) {
    return warn('env.region', `AWS_REGION=${region} but AWS_DEFAULT_REGION=${defaultRegion}: the JS SDK uses the first, boto3 and the aws CLI the second`, 'set both to the same region');
  }
  const shown = region !== undefined ? `AWS_REGION=${region}` : `AWS_DEFAULT_REGION=${defaultRegion}`;
  const missing = region === undefined ? ' (AWS_REGION unset: the JS SDK finds no region)' : defaultRegion === undefined ? ' (AWS_DEFAULT_REGION unset: boto3 and the aws CLI find no region)' : '';
  return missing === '' ? ok('env.region', shown) : warn('env.region', `${shown}${missing}`, `set ${region === undefined ? ENV_REGION : ENV_DEFAULT_REGION} to the same region`);
}

/** `env.sts-regional-endpoints`: unset, `regional` or `legacy` (botocore refuses anything else). */
export function checkStsRegionalEndpoints(env: DoctorEnv): CheckResult {
  const value = envValue(env, ENV_STS_REGIONAL_ENDPOINTS);
  if (value === undefined) return ok('env.sts-regional-endpoints', 'AWS_STS_REGIONAL_ENDPOINTS not set (current SDKs default to regional)');
  if (value !== STS_REGIONAL_ENDPOINTS_REGIONAL && value !== STS_REGIONAL_ENDPOINTS_LEGACY) {
    return fail('env.sts-regional-endpoints', `AWS_STS_REGIONAL_ENDPOINTS=${value} is neither regional nor legacy (boto3 refuses to start)`, 'set AWS_STS_REGIONAL_ENDPOINTS=regional');
  }
  return ok('env.sts-regional-endpoints', `AWS_STS_REGIONAL_ENDPOINTS=${value}`);
}

/** `env.session-name`: AWS_ROLE_SESSION_NAME, when set, is a name STS accepts. */
export function checkSessionName(env: DoctorEnv): CheckResult {
  const value = envValue(env, ENV_ROLE_SESSION_NAME);
  if (value === undefined) return ok('env.session-name', 'AWS_ROLE_SESSION_NAME not set (SDKs generate one)');
  if (!SESSION_NAME.test(value)) {
    return fail('env.session-name', `AWS_ROLE_SESSION_NAME=${value} is not 2-64 characters of letters, digits and +=,.@_-: STS answers ValidationError`, 'set AWS_ROLE_SESSION_NAME to a valid name or unset it');
  }
  return ok('env.session-name', `AWS_ROLE_SESSION_NAME=${value}`);
}

/** Static keys SDKs use before the web identity (both credential chains put the environment first). */
const STATIC_KEYS = [ENV_ACCESS_KEY_ID, ENV_SECRET_ACCESS_KEY, ENV_SESSION_TOKEN, ENV_SECURITY_TOKEN] as const;

/** `env.static-credentials`: static keys in the environment, which both SDKs use before the web identity. */
export function checkStaticCredentials(env: DoctorEnv): CheckResult {
  const set = STATIC_KEYS.filter((k) => envValue(env, k) !== undefined);
  return set.length > 0
    ? fail('env.static-credentials', `${set.join(', ')} set: SDKs use these static credentials before the web identity, so the role is never assumed`, `unset ${set.join(' and ')} (from the pod spec, a Secret or the image)`)
    : ok('env.static-credentials', 'no static keys in the environment');
}
