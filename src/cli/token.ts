/**
 * `irsa token`: mint a projected service-account token shaped byte for byte like kube-apiserver's; `irsa token
 * decode` prints a token's header, claims and times; `irsa token verify` runs STS's own token checks on it (the
 * module STS uses, so the two never disagree). The token-check helpers here are shared with `policy explain-trust`.
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { formatOidcProviderArn, parseIamArn } from '../lib/aws-arn.js';
import { parseOidcProviderArn as requireOidcProviderArn } from '../policy/index.js';
import { UsageError } from '../lib/errors.js';
import { mintServiceAccountToken, readSigningKeyFile, validateIssuerUrl } from '../oidc/index.js';
import {
  checkWebIdentityClaims,
  createIdpFetcher,
  decodeWebIdentityToken,
  JwksCache,
  staticKeySource,
  TOKEN_CHECKS,
  verifyWebIdentityToken,
  type DecodedToken,
  type IssuerKeySource,
  type WebIdentityProvider,
  type WebIdentityTokenResult,
} from '../aws/sts/index.js';
import { MIN_TOKEN_EXPIRATION_SECONDS, STS_AUDIENCE } from '../lib/wire-names.js';
import { DEFAULT_PROVIDER_CLIENT_IDS } from './aws-plane.js';
import type { RegisterCommand } from './commands.js';
import { signingKeyFlags, type CliContext } from './context.js';
import { setExitCode } from './exit-code.js';
import { flagAction, withFlags } from './field-flags.js';

/** The flag that fills each field of the token library (issuer and key may come from IRSA_ISSUER / IRSA_SIGNING_KEY). */
const TOKEN_FIELD_FLAGS = {
  issuer: '--issuer',
  namespace: '--namespace',
  serviceAccountName: '--service-account',
  audiences: '--audience',
  expirationSeconds: '--expiration',
} as const;

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Parses a whole number of seconds. */
function parseSeconds(value: string, flag: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`${flag} ${JSON.stringify(value)}: use a whole number of seconds, e.g. 3600`);
  return Number(value);
}

interface TokenOptions {
  signingKey?: string;
  issuer?: string;
  namespace?: string;
  serviceAccount?: string;
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
  const token = program
    .command('token')
    .description('mint a projected service-account token as kube-apiserver issues it (TokenRequest)')
    .option('--signing-key <file>', 'PEM private signing key (irsa keys create; default: $IRSA_SIGNING_KEY, set by .irsa/env)')
    .option('--issuer <url>', 'issuer URL, the token iss (default: $IRSA_ISSUER)')
    .option('--namespace <ns>', 'service account namespace (required to mint)')
    .option('--service-account <name>', 'service account name (required to mint)')
    .option('--audience <aud>', `audience; repeat for several (default ${STS_AUDIENCE})`, collect)
    .option('--expiration <seconds>', `lifetime in seconds, ${MIN_TOKEN_EXPIRATION_SECONDS} to 2^32, as TokenRequest`, '3600')
    .option('--service-account-uid <uid>', 'service account UID (kubernetes.io.serviceaccount.uid)')
    .option('--pod-name <name>', 'bind to a Pod (with --pod-uid), as kubelet-projected tokens are')
    .option('--pod-uid <uid>', 'UID of the bound Pod')
    .option('--node-name <name>', 'node of the bound Pod (kubernetes.io.node)')
    .option('--node-uid <uid>', 'UID of that node')
    .option('-o, --output <format>', 'token (the JWT) or json (token, header, claims, expirationTimestamp)', 'token')
    .action(flagAction(TOKEN_FIELD_FLAGS, async (opts: TokenOptions) => {
      if (opts.namespace === undefined) throw new UsageError("required option '--namespace <ns>' not specified");
      if (opts.serviceAccount === undefined) throw new UsageError("required option '--service-account <name>' not specified");
      if (opts.output !== 'token' && opts.output !== 'json') throw new UsageError(`--output ${JSON.stringify(opts.output)}: use token or json`);
      if ((opts.podName === undefined) !== (opts.podUid === undefined)) throw new UsageError('--pod-name and --pod-uid go together (a bound Pod has both); pass both or neither');
      if (opts.nodeUid !== undefined && opts.nodeName === undefined) throw new UsageError('--node-uid needs --node-name');
      if (opts.nodeName !== undefined && opts.podName === undefined) throw new UsageError('--node-name is only set on Pod-bound tokens; add --pod-name and --pod-uid');
      const expirationSeconds = parseSeconds(opts.expiration, '--expiration');
      const { keyPath, issuer } = signingKeyFlags(opts, ctx);
      if (keyPath === undefined) throw new UsageError('--signing-key FILE is required (or IRSA_SIGNING_KEY, set by: source .irsa/env)');
      if (issuer === undefined) throw new UsageError('--issuer URL is required (or IRSA_ISSUER, set by: source .irsa/env)');
      validateIssuerUrl(issuer, opts.issuer !== undefined ? 'issuer' : 'IRSA_ISSUER');
      const signingKey = await readSigningKeyFile(resolve(ctx.cwd, keyPath));
      const minted = await mintServiceAccountToken({
        signingKey,
        issuer,
        namespace: opts.namespace,
        serviceAccountName: opts.serviceAccount,
        ...(opts.serviceAccountUid ? { serviceAccountUid: opts.serviceAccountUid } : {}),
        audiences: opts.audience?.length ? opts.audience : [STS_AUDIENCE],
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
    }));

  registerTokenChecks(token, ctx);
};

const COMPACT_JWS = /^[\w-]+\.[\w-]+\.[\w-]*$/;

/** A token given inline or as a file (a path holds dots too: /var/run/secrets/eks.amazonaws.com/…). */
export function readTokenArgument(ctx: CliContext, value: string, flag: string): string {
  if (COMPACT_JWS.test(value.trim()) && !existsSync(resolve(ctx.cwd, value))) return value.trim();
  try {
    return readFileSync(resolve(ctx.cwd, value), 'utf8').trim();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(`${flag} ${value}: neither a JWT nor a readable file (${code}); pass the token or the path of the token file`);
  }
}

/** The local chain's variables: the environment (after `source .irsa/env`), else `$IRSA_STATE_DIR/env` or `.irsa/env`. */
export function localChainEnv(ctx: CliContext): Record<string, string> {
  if (ctx.env.IRSA_ISSUER && ctx.env.IRSA_ISSUER_URL) return ctx.env as Record<string, string>;
  const file = join(resolve(ctx.cwd, ctx.env.IRSA_STATE_DIR || '.irsa'), 'env');
  const out: Record<string, string> = {};
  if (!existsSync(file)) return out;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^export ([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!.replace(/^'(.*)'$/, '$1');
  }
  return out;
}

/** Where the keys came from, for the report. */
export interface KeyChoice {
  source: IssuerKeySource | undefined;
  /** `--jwks keys.json`, `the local issuer https://127.0.0.1:8443`, or why none. */
  description: string;
}

/**
 * The issuer keys to verify with: `--jwks FILE|URL`, else the local issuer of `.irsa/env` when the token is its,
 * else none (the signature is then not checked, and the report says so).
 */
export async function chooseKeySource(ctx: CliContext, jwks: string | undefined, iss: unknown): Promise<KeyChoice> {
  const local = localChainEnv(ctx);
  const ca = local.IRSA_WEBHOOK_CA && existsSync(local.IRSA_WEBHOOK_CA) ? [readFileSync(local.IRSA_WEBHOOK_CA, 'utf8')] : [];
  if (jwks !== undefined) {
    let text: string;
    if (/^https?:\/\//.test(jwks)) {
      const got = jwks.startsWith('https://') ? await createIdpFetcher({ ca }).get(jwks, { thumbprints: [] }) : await fetch(jwks).then(async (r) => ({ kind: 'response' as const, status: r.status, cacheControl: undefined, body: await r.text() })).catch((e: Error) => ({ kind: 'unreachable' as const, detail: e.message }));
      if (got.kind !== 'response' || got.status !== 200) throw new UsageError(`--jwks ${jwks}: cannot fetch it (${got.kind === 'response' ? `HTTP ${got.status}` : got.detail}); pass a reachable JWKS URL or a file`);
      text = got.body;
    } else {
      try {
        text = readFileSync(resolve(ctx.cwd, jwks), 'utf8');
      } catch (err) {
        throw new UsageError(`--jwks ${jwks}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'error'}); pass a JWKS file (keys.json) or URL`);
      }
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw new UsageError(`--jwks ${jwks}: not JSON; pass a JWKS document ({"keys":[…]})`);
    }
    if (typeof doc !== 'object' || doc === null || !Array.isArray((doc as { keys?: unknown }).keys)) throw new UsageError(`--jwks ${jwks}: not a JWKS document; expected {"keys":[…]}`);
    return { source: staticKeySource(doc as Record<string, unknown>, jwks), description: `--jwks ${jwks}` };
  }
  if (local.IRSA_ISSUER && local.IRSA_ISSUER_URL && iss === local.IRSA_ISSUER) {
    const issuerHost = new URL(local.IRSA_ISSUER).hostname;
    const at = new URL(local.IRSA_ISSUER_URL);
    const fetcher = createIdpFetcher({ ca, hostMap: { [issuerHost]: `${at.hostname}:${at.port || '443'}` } });
    return { source: new JwksCache({ fetcher, now: Date.now }), description: `the local issuer ${local.IRSA_ISSUER} at ${local.IRSA_ISSUER_URL} (.irsa/env)` };
  }
  return { source: undefined, description: 'no keys: pass --jwks FILE|URL (or source .irsa/env for the local issuer)' };
}

/** The provider the checks look the issuer up in: the given ARN, or (for `token verify` without one) the token's own issuer. */
export function providerFor(providerArn: string | undefined, clientIds: readonly string[] | undefined, iss: unknown, flag = '--provider-arn'): { provider: WebIdentityProvider | undefined; accountId: string } {
  if (providerArn !== undefined) {
    const parsed = withFlags({ providerArn: flag }, () => requireOidcProviderArn(providerArn));
    const raw = parseIamArn(providerArn)!; // an OIDC provider ARN is an IAM ARN
    // the ARN's resource is the URL as registered, trailing slash included
    return { provider: { arn: providerArn, url: `https://${raw.name}`, clientIds: [...(clientIds ?? [STS_AUDIENCE])], thumbprints: [] }, accountId: parsed.accountId };
  }
  if (typeof iss !== 'string' || !iss.startsWith('https://')) return { provider: undefined, accountId: '000000000000' };
  return { provider: { arn: formatOidcProviderArn('000000000000', iss), url: iss, clientIds: [...(clientIds ?? DEFAULT_PROVIDER_CLIENT_IDS)], thumbprints: [] }, accountId: '000000000000' };
}

/** Runs STS's checks on a token (or on bare claims) against one provider. */
export async function runTokenChecks(input: {
  token?: string;
  claims?: Record<string, unknown>;
  provider: WebIdentityProvider | undefined;
  accountId: string;
  keys: IssuerKeySource | undefined;
  nowSeconds: number;
}): Promise<WebIdentityTokenResult> {
  const providers = { findOidcProvider: (accountId: string, hostPath: string) => (input.provider !== undefined && accountId === input.accountId && input.provider.url === `https://${hostPath}` ? input.provider : undefined) };
  const options = { accountId: input.accountId, providers, keys: input.keys, nowSeconds: input.nowSeconds };
  if (input.token !== undefined) return verifyWebIdentityToken(input.token, options);
  return checkWebIdentityClaims(input.claims ?? {}, options);
}

function when(seconds: unknown, now: number): string {
  if (typeof seconds !== 'number') return JSON.stringify(seconds);
  const d = seconds - now;
  const rel = Math.abs(d) < 120 ? `${Math.abs(Math.round(d))} s` : Math.abs(d) < 7200 ? `${Math.round(Math.abs(d) / 60)} min` : `${(Math.abs(d) / 3600).toFixed(1)} h`;
  return `${seconds} = ${new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')} (${d >= 0 ? `in ${rel}` : `${rel} ago`})`;
}

/** Header, claims and times, as `token decode` prints them. */
export function renderDecoded(decoded: DecodedToken, now: number): string[] {
  const lines = [`header: ${JSON.stringify(decoded.header)}`, 'claims:'];
  for (const [k, v] of Object.entries(decoded.claims)) lines.push(`  ${k}: ${JSON.stringify(v)}`);
  lines.push('times:');
  for (const k of ['iat', 'nbf', 'exp']) if (decoded.claims[k] !== undefined) lines.push(`  ${k} ${when(decoded.claims[k], now)}`);
  return lines;
}

/** One line per check, as STS runs them: passed, FAILED (code, status, message, why), or not run. */
export function renderChecks(result: WebIdentityTokenResult, keys: KeyChoice): string[] {
  const failed = result.ok ? undefined : result.failure.check;
  const lines: string[] = [];
  let reached = true;
  for (const check of TOKEN_CHECKS) {
    if (check === failed) {
      const e = result.ok ? undefined : result.failure;
      lines.push(`  ${check.padEnd(10)} FAILED: ${e!.error.code} (HTTP ${e!.error.httpStatus}): ${e!.error.message}`);
      lines.push(`  ${''.padEnd(10)} why: ${e!.detail}`);
      reached = false;
      continue;
    }
    if (!reached) {
      lines.push(`  ${check.padEnd(10)} not run (STS stops at the first failure)`);
      continue;
    }
    if (check === 'signature' && (result.ok ? result.signature === 'not-checked' : true)) {
      lines.push(`  ${check.padEnd(10)} NOT checked: ${keys.description}`);
      continue;
    }
    if (check === 'algorithm' && result.ok && Object.keys(result.decoded.header).length === 0) {
      lines.push(`  ${check.padEnd(10)} NOT checked: claims given without a token`);
      continue;
    }
    const note = check === 'issuer' && result.ok ? ` (${result.provider.arn})` : check === 'audience' && result.ok ? ` (${result.audience})` : check === 'signature' && result.ok ? ` (key ${result.keyId ?? '(no kid)'}, ${keys.description})` : '';
    lines.push(`  ${check.padEnd(10)} ok${note}`);
  }
  return lines;
}

/** A token check result as JSON. */
export function checksToJson(result: WebIdentityTokenResult, keys: KeyChoice): Record<string, unknown> {
  return result.ok
    ? { ok: true, provider: result.provider.arn, audience: result.audience, subject: result.subject, signature: result.signature, keyId: result.keyId ?? null, keys: keys.description }
    : { ok: false, check: result.failure.check, code: result.failure.error.code, httpStatus: result.failure.error.httpStatus, message: result.failure.error.message, detail: result.failure.detail, signature: 'not-checked', keys: keys.description };
}

interface CheckFlags {
  providerArn?: string;
  clientId?: string[];
  jwks?: string;
  json?: boolean;
}

function registerTokenChecks(token: Command, ctx: CliContext): void {
  const collectIds = (value: string, previous: string[] = []): string[] => [...previous, value];
  token
    .command('decode')
    .description('print a token\'s header, claims and times (nothing is verified)')
    .argument('<token>', 'the JWT, or a file holding it')
    .option('--json', 'print {"header", "claims"}')
    .action((value: string, o: { json?: boolean }) => {
      const decoded = decodeWebIdentityToken(readTokenArgument(ctx, value, 'decode'));
      if (decoded === undefined) throw new UsageError('decode: not a JWT (three base64url segments, header and payload JSON objects)');
      if (o.json) ctx.stdout.write(`${JSON.stringify(decoded, null, 2)}\n`);
      else ctx.stdout.write(`${renderDecoded(decoded, Date.now() / 1000).join('\n')}\n`);
    });
  token
    .command('verify')
    .description("run STS's checks on a token in STS's order (issuer, claims, audience, times, algorithm, signature); exit 1 names the first that fails")
    .argument('<token>', 'the JWT, or a file holding it')
    .option('--provider-arn <arn>', "the IAM OIDC provider it is presented for (default: one registered for the token's own iss)")
    .option('--client-id <id>', `the provider's client ids (repeatable; default ${DEFAULT_PROVIDER_CLIENT_IDS.join(' and ')}, as irsa up registers)`, collectIds)
    .option('--jwks <file|url>', "the issuer's JWKS to verify the signature with (default: the local issuer of .irsa/env, when the token is its)")
    .option('--json', 'print JSON')
    .action(async function (this: Command, value: string, o: CheckFlags) {
      const text = readTokenArgument(ctx, value, 'verify');
      const decoded = decodeWebIdentityToken(text);
      const { provider, accountId } = providerFor(o.providerArn, o.clientId, decoded?.claims.iss);
      const keys = await chooseKeySource(ctx, o.jwks, decoded?.claims.iss);
      const now = Date.now() / 1000;
      const result = await runTokenChecks({ token: text, provider, accountId, keys: keys.source, nowSeconds: now });
      if (o.json) ctx.stdout.write(`${JSON.stringify({ ...checksToJson(result, keys), header: decoded?.header ?? null, claims: decoded?.claims ?? null }, null, 2)}\n`);
      else {
        const head = result.ok ? `valid: STS would accept this token${result.signature === 'not-checked' ? ' if its signature verifies (NOT checked)' : ''}` : `rejected: STS answers ${result.failure.error.code} at the ${result.failure.check} check`;
        const lines = [head, ...(decoded === undefined ? [] : renderDecoded(decoded, now)), 'checks (in STS\'s order):', ...renderChecks(result, keys)];
        ctx.stdout.write(`${lines.join('\n')}\n`);
      }
      setExitCode(this, result.ok ? 0 : 1);
    });
}
