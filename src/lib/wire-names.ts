/**
 * Wire names more than one area uses, defined once: the environment variables the AWS SDKs read (the webhook
 * injects them, `irsa exec` sets and clears them, the doctor reads them), the IRSA audience and token volume, the
 * TokenRequest lifetime floor and the names of the STS and EKS Pod Identity services. A name only one area knows
 * stays in that area's `constants.ts` (`webhook/constants.ts`, `oidc/constants.ts`, `aws/protocol/constants.ts`).
 * Messages and help texts may spell these names out in prose; code that reads, writes or compares them imports them.
 * @module
 */

/** Web identity (IRSA): the role and the projected token file. */
export const ENV_ROLE_ARN = 'AWS_ROLE_ARN';
export const ENV_WEB_IDENTITY_TOKEN_FILE = 'AWS_WEB_IDENTITY_TOKEN_FILE';
export const ENV_ROLE_SESSION_NAME = 'AWS_ROLE_SESSION_NAME';

/** Container credentials (EKS Pod Identity and ECS). */
export const ENV_CONTAINER_CREDENTIALS_FULL_URI = 'AWS_CONTAINER_CREDENTIALS_FULL_URI';
export const ENV_CONTAINER_CREDENTIALS_RELATIVE_URI = 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI';
export const ENV_CONTAINER_AUTHORIZATION_TOKEN = 'AWS_CONTAINER_AUTHORIZATION_TOKEN';
export const ENV_CONTAINER_AUTHORIZATION_TOKEN_FILE = 'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE';

/** Region and STS endpoint selection. */
export const ENV_REGION = 'AWS_REGION';
export const ENV_DEFAULT_REGION = 'AWS_DEFAULT_REGION';
export const ENV_STS_REGIONAL_ENDPOINTS = 'AWS_STS_REGIONAL_ENDPOINTS';
/** The two values botocore accepts for {@link ENV_STS_REGIONAL_ENDPOINTS}. */
export const STS_REGIONAL_ENDPOINTS_REGIONAL = 'regional';
export const STS_REGIONAL_ENDPOINTS_LEGACY = 'legacy';
export const ENV_ENDPOINT_URL = 'AWS_ENDPOINT_URL';
export const ENV_ENDPOINT_URL_STS = 'AWS_ENDPOINT_URL_STS';
export const ENV_IGNORE_CONFIGURED_ENDPOINT_URLS = 'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS';
export const ENV_CA_BUNDLE = 'AWS_CA_BUNDLE';
export const ENV_EC2_METADATA_SERVICE_ENDPOINT = 'AWS_EC2_METADATA_SERVICE_ENDPOINT';

/** Credentials the SDKs take before a web identity: static keys and a selected profile in the shared files. */
export const ENV_ACCESS_KEY_ID = 'AWS_ACCESS_KEY_ID';
export const ENV_SECRET_ACCESS_KEY = 'AWS_SECRET_ACCESS_KEY';
export const ENV_SESSION_TOKEN = 'AWS_SESSION_TOKEN';
/** boto2's name for the session token, still read by botocore. */
export const ENV_SECURITY_TOKEN = 'AWS_SECURITY_TOKEN';
export const ENV_PROFILE = 'AWS_PROFILE';
export const ENV_DEFAULT_PROFILE = 'AWS_DEFAULT_PROFILE';
export const ENV_CONFIG_FILE = 'AWS_CONFIG_FILE';
export const ENV_SHARED_CREDENTIALS_FILE = 'AWS_SHARED_CREDENTIALS_FILE';

/** The audience of IRSA tokens and the client ID an IAM OIDC provider lists for them. */
export const STS_AUDIENCE = 'sts.amazonaws.com';
/** STS's global endpoint (the host name is the same string as the audience, by AWS's choice, not by rule). */
export const STS_GLOBAL_HOST = 'sts.amazonaws.com';
export const STS_GLOBAL_ENDPOINT = `https://${STS_GLOBAL_HOST}`;
/** The EKS Pod Identity service: the audience of its tokens and the service principal its trust policies name. */
export const EKS_POD_IDENTITY_SERVICE = 'pods.eks.amazonaws.com';

/** The projected token of IRSA: volume name, file name inside it, and the webhook's default mount path. */
export const WEB_IDENTITY_VOLUME_NAME = 'aws-iam-token';
export const WEB_IDENTITY_TOKEN_PATH = 'token';
export const DEFAULT_TOKEN_MOUNT_PATH = '/var/run/secrets/eks.amazonaws.com/serviceaccount';

/**
 * TokenRequest's minimum lifetime ("may not specify a duration less than 10 minutes"): the floor the webhook
 * raises `--token-expiration` and annotations to, and the issuer's lower bound for minted tokens.
 */
export const MIN_TOKEN_EXPIRATION_SECONDS = 600;
