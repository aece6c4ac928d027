/**
 * `runDoctor`: every check in order, each skipped when an earlier failure makes it meaningless. All outside state
 * (environment, token, clock, file reads, HTTP, STS) comes in through {@link DoctorInput} and {@link DoctorDeps}.
 * @module
 */
import { parseRoleArn } from '../../lib/aws-arn.js';
import { ENV_ROLE_ARN, ENV_ROLE_SESSION_NAME, ENV_WEB_IDENTITY_TOKEN_FILE, STS_AUDIENCE } from '../../lib/wire-names.js';
import { fail, ok, skip, type CheckResult, type CheckStatus } from './check.js';
import { checkRegion, checkSessionName, checkStaticCredentials, checkStsRegionalEndpoints, checkWebIdentityEnv, envValue, type DoctorEnv } from './environment.js';
import { checkProfile, loadSharedProfile, profileWebIdentity } from './profile.js';
import { checkIssuer, type FetchText, type IssuerLocation } from './issuer.js';
import { checkCaBundle, checkSts, resolveStsEndpoint, type DoctorStsClient } from './sts.js';
import { checkAudience, checkExpiry, checkIssuerClaim, checkKid, checkSubject, checkTokenText, decodeToken, tokenFileError, type DecodedToken } from './token.js';

export interface DoctorInput {
  /** The environment the SDK sees (the process's, or the mutated container's). */
  env: DoctorEnv;
  /** The token itself when it is not read from AWS_WEB_IDENTITY_TOKEN_FILE (a pod manifest: minted as the kubelet would). */
  token?: { text: string; source: string };
  /** Set when no token can be had, with the reason (token, issuer and STS checks are skipped). */
  tokenUnavailable?: string;
  /** Results computed before (e.g. `pod.mutation`), printed first. */
  prelude?: CheckResult[];
  /** The audience the IAM OIDC provider lists; default sts.amazonaws.com. */
  audience?: string;
  /** The `sub` the token must carry, when known (the pod's ServiceAccount). */
  expectedSubject?: string;
  /** Where the issuer's documents are served when not at `iss`. */
  issuerLocation?: IssuerLocation;
  /** RoleSessionName for the STS call; default AWS_ROLE_SESSION_NAME, else `irsa-doctor-<epoch>`. */
  sessionName?: string;
  /** Skip the STS calls (offline), with the reason shown. */
  skipSts?: string;
  /** Don't read the shared config/credentials files (they are not this machine's, e.g. a pod manifest's), with the reason. */
  skipSharedProfile?: string;
}

export interface DoctorDeps {
  now: () => Date;
  readFile: (path: string) => Promise<Buffer>;
  fetchText: FetchText;
  sts: DoctorStsClient;
  /** This process's uid, named when the token file is not readable. */
  uid?: number;
}

export interface DoctorReport {
  /** True when no check failed (warnings and skips allowed). */
  ok: boolean;
  checks: CheckResult[];
  counts: Record<CheckStatus, number>;
}

const TOKEN_CHECKS = ['token.jwt', 'token.kid', 'token.issuer', 'token.subject', 'token.audience', 'token.expiry'] as const;
const ISSUER_CHECKS = ['issuer.discovery', 'issuer.jwks', 'issuer.signature'] as const;

/**
 * Runs every check; never throws for what it finds (a finding is a result), only for bugs.
 * @example
 * const report = await runDoctor({ env: process.env }, { now: () => new Date(), readFile, fetchText: createFetchText(), sts });
 * process.exitCode = report.ok ? 0 : 1;
 */
export async function runDoctor(input: DoctorInput, deps: DoctorDeps): Promise<DoctorReport> {
  const now = deps.now();
  const env = input.env;
  const profile = input.skipSharedProfile === undefined ? await loadSharedProfile(env, deps.readFile) : undefined;
  const web = profile === undefined ? undefined : profileWebIdentity(profile);
  const fromProfile = web === undefined ? undefined : { ...web, where: `profile ${profile!.name} in ${profile!.sources.join(', ')}` };
  const checks: CheckResult[] = [
    ...(input.prelude ?? []),
    ...checkWebIdentityEnv(env, fromProfile),
    checkRegion(env),
    checkStsRegionalEndpoints(env),
    checkSessionName(env),
    checkStaticCredentials(env),
    profile === undefined ? skip('env.profile', input.skipSharedProfile!) : checkProfile(profile),
  ];
  const audience = input.audience ?? STS_AUDIENCE;

  // The token: given, or read from the file the SDK reads (the environment's, else the profile's).
  let tokenText: string | undefined;
  const tokenFile = envValue(env, ENV_WEB_IDENTITY_TOKEN_FILE) ?? web?.tokenFile;
  if (input.token !== undefined) {
    tokenText = input.token.text;
    checks.push(checkTokenText(input.token.source, tokenText));
  } else if (input.tokenUnavailable !== undefined) {
    checks.push(skip('token.file', input.tokenUnavailable));
  } else if (tokenFile === undefined) {
    checks.push(skip('token.file', 'AWS_WEB_IDENTITY_TOKEN_FILE is not set (nor web_identity_token_file in the profile)'));
  } else {
    try {
      tokenText = (await deps.readFile(tokenFile)).toString('utf8');
      checks.push(checkTokenText(tokenFile, tokenText));
    } catch (err) {
      checks.push(tokenFileError(tokenFile, err as NodeJS.ErrnoException, deps.uid));
    }
  }
  let token: DecodedToken | undefined;
  const fileOk = checks[checks.length - 1]!.status === 'ok';
  if (tokenText === undefined || !fileOk) {
    for (const id of TOKEN_CHECKS) checks.push(skip(id, 'no token to read'));
  } else {
    const decoded = decodeToken(tokenText);
    checks.push(decoded.result);
    if (decoded.decoded === undefined) {
      for (const id of TOKEN_CHECKS.slice(1)) checks.push(skip(id, 'the token is not a JWT'));
    } else {
      token = decoded.decoded;
      checks.push(checkKid(token), checkIssuerClaim(token), checkSubject(token, input.expectedSubject), checkAudience(token, audience), checkExpiry(token, now));
    }
  }

  // The issuer, when the token names a usable one.
  const issuerOk = token !== undefined && checks.find((c) => c.id === 'token.issuer')?.status === 'ok' && checks.find((c) => c.id === 'token.jwt')?.status === 'ok';
  if (token !== undefined && issuerOk) {
    checks.push(...(await checkIssuer(token, deps.fetchText, input.issuerLocation)));
  } else {
    for (const id of ISSUER_CHECKS) checks.push(skip(id, token === undefined ? 'no token to read' : 'the token has no usable iss or alg'));
  }

  // The role.
  const roleArn = envValue(env, ENV_ROLE_ARN) ?? web?.roleArn;
  const role = roleArn === undefined ? undefined : parseRoleArn(roleArn);
  if (roleArn === undefined) checks.push(skip('role.arn', 'no role ARN (AWS_ROLE_ARN or the profile\'s role_arn)'));
  else if (role === undefined) checks.push(fail('role.arn', `${roleArn} is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)`, 'fix the eks.amazonaws.com/role-arn annotation on the ServiceAccount: a 12-digit account and the role\'s name'));
  else checks.push(ok('role.arn', `role ${role.roleName} in account ${role.accountId}${role.path !== '/' ? ` (path ${role.path}, not part of session ARNs)` : ''}`));

  // STS: where, trusting what, then the calls.
  const endpoint = resolveStsEndpoint(env);
  checks.push(endpoint.result);
  const bundle = await checkCaBundle(env, deps.readFile, now);
  checks.push(bundle.result);
  const blocker =
    input.skipSts ??
    (token === undefined ? 'no token to send' :
      role === undefined ? 'no valid role ARN' :
        endpoint.target === undefined ? 'no usable STS endpoint' :
          bundle.result.status === 'fail' ? 'AWS_CA_BUNDLE is unusable' :
            checks.some((c) => c.id === 'env.session-name' && c.status === 'fail') && input.sessionName === undefined ? 'AWS_ROLE_SESSION_NAME is invalid' : undefined);
  if (blocker !== undefined) {
    checks.push(skip('sts.assume-role', blocker), skip('sts.caller-identity', blocker));
  } else {
    const sessionName = input.sessionName ?? envValue(env, ENV_ROLE_SESSION_NAME) ?? profile?.values.role_session_name ?? `irsa-doctor-${Math.floor(now.getTime() / 1000)}`;
    const target = { ...endpoint.target!, ...(bundle.pem !== undefined ? { caBundle: bundle.pem } : {}) };
    checks.push(...(await checkSts(deps.sts, target, { role: role!, roleArn: roleArn!, token: token!, endpoint: target.endpoint }, sessionName)));
  }

  const counts: Record<CheckStatus, number> = { ok: 0, warn: 0, fail: 0, skip: 0 };
  for (const c of checks) counts[c.status]++;
  return { ok: counts.fail === 0, checks, counts };
}
