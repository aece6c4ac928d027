/**
 * `irsa token`: mint a projected service-account token shaped byte for byte like kube-apiserver's.
 * @module
 */
import { resolve } from 'node:path';
import { UsageError } from '../lib/errors.js';
import { mintServiceAccountToken, readSigningKeyFile, validateIssuerUrl } from '../oidc/index.js';
import type { RegisterCommand } from './commands.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** The audience `irsa token` and `irsa exec` use when none is given: the IRSA webhook's default. */
export const DEFAULT_TOKEN_AUDIENCE = 'sts.amazonaws.com';

/** Parses a whole number of seconds. */
function parseSeconds(value: string, flag: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`${flag} ${JSON.stringify(value)}: use a whole number of seconds, e.g. 3600`);
  return Number(value);
}

interface TokenOptions {
  signingKey?: string;
  issuer?: string;
  namespace: string;
  serviceAccount: string;
  audience?: string[];
  expiration: string;
  serviceAccountUid?: string;
  podName?: string;
  podUid?: string;
  nodeName?: string;
  nodeUid?: string;
  output: string;
}

/** Registers `irsa token`. */
export const registerTokenCommand: RegisterCommand = (program, ctx) => {
  program
    .command('token')
    .description('mint a projected service-account token as kube-apiserver issues it (TokenRequest)')
    .option('--signing-key <file>', 'PEM private signing key (irsa keys create; default: $IRSA_SIGNING_KEY, set by .irsa/env)')
    .option('--issuer <url>', 'issuer URL, the token iss (default: $IRSA_ISSUER)')
    .requiredOption('--namespace <ns>', 'service account namespace')
    .requiredOption('--service-account <name>', 'service account name')
    .option('--audience <aud>', `audience; repeat for several (default ${DEFAULT_TOKEN_AUDIENCE})`, collect)
    .option('--expiration <seconds>', 'lifetime in seconds, 600 to 2^32, as TokenRequest', '3600')
    .option('--service-account-uid <uid>', 'service account UID (kubernetes.io.serviceaccount.uid)')
    .option('--pod-name <name>', 'bind to a Pod (with --pod-uid), as kubelet-projected tokens are')
    .option('--pod-uid <uid>', 'UID of the bound Pod')
    .option('--node-name <name>', 'node of the bound Pod (kubernetes.io.node)')
    .option('--node-uid <uid>', 'UID of that node')
    .option('-o, --output <format>', 'token (the JWT) or json (token, header, claims, expirationTimestamp)', 'token')
    .action(async (opts: TokenOptions) => {
      if (opts.output !== 'token' && opts.output !== 'json') throw new UsageError(`--output ${JSON.stringify(opts.output)}: use token or json`);
      if ((opts.podName === undefined) !== (opts.podUid === undefined)) throw new UsageError('--pod-name and --pod-uid go together (a bound Pod has both); pass both or neither');
      if (opts.nodeUid !== undefined && opts.nodeName === undefined) throw new UsageError('--node-uid needs --node-name');
      if (opts.nodeName !== undefined && opts.podName === undefined) throw new UsageError('--node-name is only set on Pod-bound tokens; add --pod-name and --pod-uid');
      const expirationSeconds = parseSeconds(opts.expiration, '--expiration');
      const keyPath = opts.signingKey ?? (ctx.env.IRSA_SIGNING_KEY || undefined);
      const issuer = opts.issuer ?? (ctx.env.IRSA_ISSUER || undefined);
      if (keyPath === undefined) throw new UsageError('--signing-key FILE is required (or IRSA_SIGNING_KEY, set by: source .irsa/env)');
      if (issuer === undefined) throw new UsageError('--issuer URL is required (or IRSA_ISSUER, set by: source .irsa/env)');
      validateIssuerUrl(issuer);
      const signingKey = await readSigningKeyFile(resolve(ctx.cwd, keyPath));
      const minted = await mintServiceAccountToken({
        signingKey,
        issuer,
        namespace: opts.namespace,
        serviceAccountName: opts.serviceAccount,
        ...(opts.serviceAccountUid ? { serviceAccountUid: opts.serviceAccountUid } : {}),
        audiences: opts.audience?.length ? opts.audience : [DEFAULT_TOKEN_AUDIENCE],
        expirationSeconds,
        ...(opts.podName && opts.podUid ? { pod: { name: opts.podName, uid: opts.podUid } } : {}),
        ...(opts.nodeName ? { node: { name: opts.nodeName, ...(opts.nodeUid ? { uid: opts.nodeUid } : {}) } } : {}),
      });
      for (const warning of minted.warnings) ctx.stderr.write(`irsa: warning: ${warning}\n`);
      if (minted.expirationSeconds > 3600) ctx.stderr.write(`irsa: warning: this token is valid for ${minted.expirationSeconds} s; it is a real credential wherever ${issuer} is trusted\n`);
      if (opts.output === 'json') {
        ctx.stdout.write(`${JSON.stringify({ token: minted.token, header: minted.header, claims: minted.claims, expirationTimestamp: minted.expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z') }, null, 2)}\n`);
      } else {
        ctx.stdout.write(`${minted.token}\n`);
      }
    });
};
