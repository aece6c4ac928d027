/**
 * `irsa policy …`: evaluate, explain and audit IAM policies; generate IRSA trust policies. A thin shell over
 * src/policy: it reads files, builds the request context from flags and renders the results.
 * Exit codes: 0 Allow / valid / no high finding, 1 a deny / an invalid document / a high finding, 2 bad input.
 * @module
 */
import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../lib/errors.js';
import { STS_AUDIENCE } from '../lib/wire-names.js';
import { ACCOUNT_ID_PATTERN, accountOfArn, formatRoleArn, parseAssumedRoleArn, parseIamArn, parseRoleArn } from '../lib/aws-arn.js';
import { decodeWebIdentityToken, evaluateWebIdentityTrust } from '../aws/sts/index.js';
import {
  auditTrustPolicy,
  buildIrsaTrustPolicy,
  compilePolicy,
  detectPolicyKind,
  evaluatePolicies,
  evaluationToJson,
  getManagedPolicy,
  lintServiceReference,
  MalformedPolicyDocumentError,
  parsePolicy,
  PolicyError,
  renderAuditText,
  renderEvaluationText,
  validatePolicy,
  SIZE_LIMITS,
  type CompiledPolicy,
  type ContextKeyValue,
  type IrsaTrustPolicyOptions,
  type PolicyKind,
  type RequestPrincipal,
  type StatementRef,
} from '../policy/index.js';
import type { CliContext } from './context.js';
import { flagError } from './field-flags.js';
import { setExitCode } from './exit-code.js';
import { checksToJson, chooseKeySource, providerFor, readTokenArgument, renderChecks, runTokenChecks } from './token.js';

const KINDS: readonly PolicyKind[] = ['identity', 'inline', 'managed', 'boundary', 'session', 'trust', 'resource'];

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function readText(ctx: CliContext, file: string, flag: string): string {
  const path = resolve(ctx.cwd, file);
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(`${flag} ${file}: cannot read the file (${code}); give the path of a JSON policy document`);
  }
}

/** The kind a document's shape suggests; text that is not JSON counts as managed (parsing reports the syntax error). */
function detectKindOfText(text: string): PolicyKind {
  let doc: unknown = null;
  try {
    doc = JSON.parse(text);
  } catch {
    /* reported by parsePolicy / validatePolicy */
  }
  return detectPolicyKind(doc);
}

/** A policy from a file, or a shipped AWS managed policy named by ARN or name. */
function loadPolicy(ctx: CliContext, ref: string, flag: string, kind: PolicyKind | 'auto'): CompiledPolicy {
  const managed = existsSync(resolve(ctx.cwd, ref)) ? undefined : getManagedPolicy(ref);
  if (managed !== undefined) {
    const k = kind === 'auto' ? 'managed' : kind;
    return compilePolicy(managed.document, { kind: k, name: managed.name, skipSizeCheck: true });
  }
  const text = readText(ctx, ref, flag);
  const k = kind === 'auto' ? detectKindOfText(text) : kind;
  try {
    return compilePolicy(text, { kind: k, name: ref });
  } catch (err) {
    if (err instanceof PolicyError) throw new UsageError(`${flag} ${ref}: ${err.code}: ${err.message}${detailOf(err)}`);
    throw err;
  }
}

/** ` (line 3, column 14: …)`: where and what, when the engine knows it. */
function detailOf(err: PolicyError): string {
  return err instanceof MalformedPolicyDocumentError && err.detail !== null ? ` (${err.detail})` : '';
}

/** Infers the principal family from its form: provider ARNs are Federated, `*.amazonaws.com` a Service. */
function principalFromArn(arn: string): RequestPrincipal {
  const iam = parseIamArn(arn);
  if ((iam?.type === 'oidc-provider' || iam?.type === 'saml-provider') && ACCOUNT_ID_PATTERN.test(iam.accountId)) return { type: 'Federated', id: arn };
  if (!arn.startsWith('arn:') && /\.(amazonaws\.com|amazon\.com)$/.test(arn)) return { type: 'Service', id: arn };
  if (!arn.startsWith('arn:') && !ACCOUNT_ID_PATTERN.test(arn) && arn.includes('.')) return { type: 'Federated', id: arn };
  const session = parseAssumedRoleArn(arn);
  if (session) return { type: 'AWS', id: arn, account: session.accountId, roleArn: formatRoleArn(session.accountId, session.roleName, '/', session.partition) };
  return { type: 'AWS', id: arn };
}

/** `KEY=VALUE` pairs; a repeated key is multi-valued; `KEY=[]` is an empty set. */
function parseContextPairs(pairs: readonly string[]): Record<string, ContextKeyValue> {
  const acc = new Map<string, { name: string; values: string[]; multi: boolean }>();
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--context "${pair}": expected KEY=VALUE, e.g. --context aws:SourceIp=10.0.0.1`);
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    const lower = name.toLowerCase();
    const prior = acc.get(lower) ?? { name, values: [], multi: false };
    if (value === '[]') prior.multi = true;
    else {
      if (prior.values.length > 0) prior.multi = true;
      prior.values.push(value);
    }
    acc.set(lower, prior);
  }
  const out: Record<string, ContextKeyValue> = {};
  for (const { name, values, multi } of acc.values()) out[name] = multi ? values : values[0]!;
  return out;
}

/** Lint warnings of the policies used, on stderr: accepted by IAM, probably not what was meant. */
function writeWarnings(ctx: CliContext, policies: readonly CompiledPolicy[]): void {
  for (const p of policies) {
    for (const w of p.parsed.warnings) {
      ctx.stderr.write(`warning: ${p.name}${w.statement === null ? '' : ` statement #${w.statement}`}: ${w.message} (${w.code})\n`);
    }
  }
}

function writeJson(ctx: CliContext, value: unknown): void {
  ctx.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

interface EvalFlags {
  policy?: string[];
  boundary?: string;
  sessionPolicy?: string[];
  resourcePolicy?: string[];
  action: string;
  resource?: string;
  resourceAccount?: string;
  principal?: string;
  context?: string[];
  json?: boolean;
}

function runEval(ctx: CliContext, o: EvalFlags, command: Command): void {
  const identity = (o.policy ?? []).map((f) => loadPolicy(ctx, f, '--policy', 'auto'));
  for (const p of identity) {
    if (p.kind === 'trust' || p.kind === 'resource') {
      throw new UsageError(`--policy ${p.name}: has a Principal, so it is a ${p.kind} policy; pass it with --resource-policy`);
    }
  }
  const boundary = o.boundary === undefined ? null : loadPolicy(ctx, o.boundary, '--boundary', 'boundary');
  const session = (o.sessionPolicy ?? []).map((f) => loadPolicy(ctx, f, '--session-policy', 'session'));
  const resource = (o.resourcePolicy ?? []).map((f) => {
    const p = loadPolicy(ctx, f, '--resource-policy', 'auto');
    if (p.kind !== 'trust' && p.kind !== 'resource') {
      throw new UsageError(`--resource-policy ${f}: has no Principal; a resource-based or trust policy names who it applies to`);
    }
    return p; // compiled with role 'resource' already: the default for trust and resource kinds
  });
  if (identity.length === 0 && resource.length === 0) {
    throw new UsageError('policy eval: give at least one --policy FILE (or --resource-policy FILE)');
  }
  if (resource.length > 0 && o.principal === undefined) {
    throw new UsageError('policy eval: a --resource-policy needs --principal ARN (who makes the request)');
  }
  const keys = parseContextPairs(o.context ?? []);
  if (o.resourceAccount !== undefined && !ACCOUNT_ID_PATTERN.test(o.resourceAccount)) {
    throw new UsageError(`--resource-account "${o.resourceAccount}": expected a 12-digit account id, e.g. 111122223333`);
  }
  const request = {
    action: o.action,
    ...(o.resource === undefined ? {} : { resource: o.resource }),
    ...(o.resourceAccount === undefined ? {} : { resourceAccount: o.resourceAccount }),
    ...(o.principal === undefined ? {} : { principal: principalFromArn(o.principal) }),
    keys,
  };
  if (!/^[^:]+:[^:]+$/.test(o.action) && o.action !== '*') {
    throw new UsageError(`--action "${o.action}": expected service:Action, e.g. s3:GetObject`);
  }
  const result = evaluatePolicies({ identity, boundary, session, resource }, request, { explain: true });
  if (o.json) writeJson(ctx, evaluationToJson(result));
  else {
    ctx.stdout.write(renderEvaluationText(result, request));
    writeWarnings(ctx, [...identity, ...(boundary === null ? [] : [boundary]), ...session, ...resource]);
  }
  setExitCode(command, result.decision === 'Allow' ? 0 : 1);
}

interface ExplainTrustFlags {
  trustPolicy: string;
  token?: string;
  claims?: string;
  providerArn: string;
  roleArn?: string;
  roleSessionName?: string;
  clientId?: string[];
  jwks?: string;
  json?: boolean;
}

/** The token (as text) or the claims the user gave, exactly one of them. */
function readTokenOrClaims(ctx: CliContext, o: ExplainTrustFlags): { token?: string; claims?: Record<string, unknown> } {
  if ((o.token === undefined) === (o.claims === undefined)) {
    throw new UsageError('policy explain-trust: give exactly one of --token JWT or --claims JSON');
  }
  if (o.token !== undefined) {
    const token = readTokenArgument(ctx, o.token, '--token');
    if (decodeWebIdentityToken(token) === undefined) throw new UsageError('--token: token is not a JWT (three base64url segments whose first two are JSON objects)');
    return { token };
  }
  const raw = o.claims!.trim().startsWith('{') ? o.claims! : readText(ctx, o.claims!, '--claims');
  let claims: unknown;
  try {
    claims = JSON.parse(raw);
  } catch {
    throw new UsageError(`--claims: not valid JSON; give an object such as '{"iss":"https://oidc.example.com","sub":"system:serviceaccount:ns:sa","aud":"${STS_AUDIENCE}","iat":1767225600,"exp":1767229200}'`);
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) throw new UsageError('--claims: must be a JSON object of token claims');
  return { claims: claims as Record<string, unknown> };
}

/**
 * Answers as STS would: its token checks first (the module STS runs), a failed check being the decision; then the
 * trust policy with the context STS builds.
 */
async function runExplainTrust(ctx: CliContext, o: ExplainTrustFlags, command: Command): Promise<void> {
  const input = readTokenOrClaims(ctx, o);
  const trust = loadPolicy(ctx, o.trustPolicy, '--trust-policy', 'trust');
  const iss = input.token !== undefined ? decodeWebIdentityToken(input.token)!.claims.iss : input.claims!.iss;
  const { provider, accountId } = providerFor(o.providerArn, o.clientId, iss);
  const keys = input.token !== undefined ? await chooseKeySource(ctx, o.jwks, iss) : { source: undefined, description: 'claims given without a token: no signature to check' };
  const now = new Date();
  const checked = await runTokenChecks({ ...input, provider, accountId: o.roleArn === undefined ? accountId : (accountOfArn(o.roleArn) ?? accountId), keys: keys.source, nowSeconds: now.getTime() / 1000 });
  if (!checked.ok) {
    const f = checked.failure;
    if (o.json) {
      writeJson(ctx, { decision: 'TokenRejected', tokenCheck: checksToJson(checked, keys), matchedStatements: [], reasons: [`${f.check}: ${f.error.message}`] });
    } else {
      const lines = [`TokenRejected: STS answers ${f.error.code} (HTTP ${f.error.httpStatus}) at the ${f.check} check, before the trust policy`, `  ${f.error.message}`, '  token checks (in STS\'s order):', ...renderChecks(checked, keys).map((l) => `  ${l}`)];
      ctx.stdout.write(`${lines.join('\n')}\n`);
    }
    setExitCode(command, 1);
    return;
  }
  const evaluated = evaluateWebIdentityTrust({
    trustPolicy: trust,
    providerArn: o.providerArn,
    claims: checked.decoded.claims,
    audience: checked.audience,
    ...(o.roleArn === undefined ? {} : { roleArn: o.roleArn }),
    ...(o.roleSessionName === undefined ? {} : { roleSessionName: o.roleSessionName }),
  });
  const results = evaluated.actions;
  const failed = results.find((r) => r.result.decision !== 'Allow');
  const decision = failed === undefined ? 'Allow' : failed.result.decision;
  const matched: StatementRef[] = [];
  const reasons: string[] = [];
  for (const r of results) {
    for (const m of r.result.matchedStatements) if (!matched.includes(m)) matched.push(m);
    if (r.result.decision !== 'Allow') for (const x of r.result.reasons) reasons.push(`${r.action}: ${x}`);
  }
  if (decision === 'Allow') reasons.push(...results[0]!.result.reasons);
  const signatureLine = checked.signature === 'verified' ? `token checks passed; signature verified (key ${checked.keyId ?? '(no kid)'}, ${keys.description})` : `token checks passed; signature NOT checked (${keys.description})`;
  if (o.json) {
    writeJson(ctx, {
      decision,
      tokenCheck: checksToJson(checked, keys),
      matchedStatements: matched,
      reasons,
      context: evaluated.context,
      notes: evaluated.notes,
      actions: results.map((r) => ({ action: r.action, ...evaluationToJson(r.result) })),
    });
  } else {
    const lines = [`${decision}: ${results.map((r) => r.action).join(' + ')} with ${o.providerArn}`, `  ${signatureLine}`];
    lines.push('  request context (as STS builds it):');
    for (const [k, v] of Object.entries(evaluated.context.keys ?? {})) lines.push(`    ${k} = ${JSON.stringify(v)}`);
    for (const n of evaluated.notes) lines.push(`  note: ${n}`);
    ctx.stdout.write(lines.join('\n') + '\n');
    for (const r of results) ctx.stdout.write(renderEvaluationText(r.result, { action: r.action }).replace(/^/gm, '  ').replace(/ +$/gm, ''));
    writeWarnings(ctx, [trust]);
  }
  setExitCode(command, decision === 'Allow' ? 0 : 1);
}

interface AuditFlags {
  json?: boolean;
  providerArn?: string;
  clientId?: string[];
  operator?: boolean;
  accountId?: string;
  roleArn?: string;
}

function runAudit(ctx: CliContext, files: string[], o: AuditFlags, command: Command): void {
  if (o.accountId !== undefined && !ACCOUNT_ID_PATTERN.test(o.accountId)) {
    throw new UsageError(`--account-id "${o.accountId}": expected a 12-digit account id, e.g. 111122223333`);
  }
  if (o.roleArn !== undefined && parseRoleArn(o.roleArn) === undefined) {
    throw new UsageError(`--role-arn "${o.roleArn}": expected a role ARN, e.g. arn:aws:iam::111122223333:role/app`);
  }
  const reports = files.map((file) => {
    const text = readText(ctx, file, 'audit');
    let parsed;
    try {
      // repeated keys are audited (a finding each) rather than refused: the auditor reads what the engine would keep
      parsed = parsePolicy(text, { kind: 'trust', allowDuplicateKeys: true });
    } catch (err) {
      if (err instanceof PolicyError) throw new UsageError(`${file}: ${err.code}: ${err.message}${detailOf(err)} (not a valid trust policy)`);
      throw err;
    }
    const report = auditTrustPolicy(parsed, {
      ...(o.providerArn === undefined ? {} : { providerArn: o.providerArn }),
      ...(o.clientId === undefined ? {} : { clientIds: o.clientId }),
      ...(o.accountId === undefined ? {} : { accountId: o.accountId }),
      ...(o.roleArn === undefined ? {} : { roleArn: o.roleArn }),
      roleKind: o.operator ? 'operator' : 'workload',
    });
    return { file, ...report };
  });
  if (o.json) writeJson(ctx, reports);
  else for (const r of reports) ctx.stdout.write(renderAuditText(r.file, r));
  setExitCode(command, reports.some((r) => r.failed) ? 1 : 0);
}

async function runValidate(ctx: CliContext, files: string[], o: { kind?: string; json?: boolean }, command: Command): Promise<void> {
  if (o.kind !== undefined && !(KINDS as readonly string[]).includes(o.kind)) {
    throw new UsageError(`--kind ${o.kind}: expected one of ${KINDS.join(', ')}`);
  }
  const results = [];
  for (const file of files) {
    const text = readText(ctx, file, 'validate');
    const kind = (o.kind as PolicyKind | undefined) ?? detectKindOfText(text);
    const result = { file, ...validatePolicy(text, { kind }) };
    // Names no AWS service defines (Access Analyzer's checks), for documents IAM would accept.
    if (result.valid) result.warnings.push(...(await lintServiceReference(parsePolicy(text, { kind, skipSizeCheck: true }))));
    results.push(result);
  }
  if (o.json) writeJson(ctx, results);
  else {
    for (const r of results) {
      if (r.valid) ctx.stdout.write(`${r.file}: valid ${r.kind} policy (${r.size}/${SIZE_LIMITS[r.kind]} characters)\n`);
      else ctx.stdout.write(`${r.file}: ${r.error!.code}: ${r.error!.message}${r.error!.detail === undefined ? '' : ` (${r.error!.detail})`}\n`);
      for (const w of r.warnings) {
        ctx.stdout.write(`  warning ${w.code}${w.statement === null ? '' : ` (statement #${w.statement})`}: ${w.message}\n`);
      }
    }
  }
  setExitCode(command, results.every((r) => r.valid) ? 0 : 1);
}

/** The flag that fills each field of `buildIrsaTrustPolicy`. */
const TRUST_FIELD_FLAGS = {
  providerArn: '--provider-arn',
  issuer: '--issuer',
  accountId: '--account-id',
  namespace: '--namespace',
  serviceAccount: '--service-account',
  audience: '--audience',
} as const;

function runTrust(ctx: CliContext, flags: IrsaTrustPolicyOptions): void {
  // The library names its fields; the user's words are flags.
  if (flags.providerArn !== undefined && (flags.issuer !== undefined || flags.accountId !== undefined)) {
    throw new UsageError('policy trust: give either --provider-arn or --issuer with --account-id, not both');
  }
  if (flags.providerArn === undefined && (flags.issuer === undefined || flags.accountId === undefined)) {
    throw new UsageError('policy trust: needs --provider-arn, or --issuer and --account-id');
  }
  try {
    writeJson(ctx, buildIrsaTrustPolicy(flags));
  } catch (err) {
    if (err instanceof PolicyError) throw new UsageError(`policy trust: ${(flagError(err, TRUST_FIELD_FLAGS) as Error).message}`, { cause: err });
    throw err;
  }
}

/** Registers `irsa policy` and its subcommands. */
export function registerPolicyCommand(program: Command, ctx: CliContext): void {
  const policy = program.command('policy').description('evaluate, explain and audit IAM policies; generate IRSA trust policies');

  policy
    .command('eval')
    .description('evaluate a request against identity, boundary, session and resource policies (AWS algorithm) and explain it')
    .option('--policy <file>', 'identity policy file, or an AWS managed policy ARN/name (repeatable)', collect)
    .option('--boundary <file>', 'permissions boundary policy file')
    .option('--session-policy <file>', 'session policy file (repeatable)', collect)
    .option('--resource-policy <file>', 'resource-based or trust policy file (repeatable)', collect)
    .requiredOption('--action <action>', 'the action, e.g. s3:GetObject')
    .option('--resource <arn>', 'the resource ARN (default *)')
    .option('--resource-account <id>', "the resource's account when its ARN has none (S3); another account than the principal's needs both sides to allow")
    .option('--principal <arn>', 'who makes the request (needed with --resource-policy)')
    .option('--context <key=value>', 'a condition key; repeat a key for a multi-valued key; KEY=[] is an empty set', collect)
    .option('--json', 'print {"decision", "matchedStatements", "reasons", "statements"}')
    .action(function (this: Command, o: EvalFlags) {
      runEval(ctx, o, this);
    });

  policy
    .command('explain-trust')
    .description("answer as STS would: its token checks in its order (a failed one is the answer), then the trust policy with the context STS builds")
    .requiredOption('--trust-policy <file>', "the role's trust policy")
    .option('--token <jwt>', 'the token, or a file holding it')
    .option('--claims <json>', 'the token claims as a JSON object (or a file holding them); no signature to check')
    .requiredOption('--provider-arn <arn>', 'the IAM OIDC provider ARN the token is presented for (its URL must equal iss)')
    .option('--role-arn <arn>', 'the role being assumed (its account is searched for the provider)')
    .option('--role-session-name <name>', 'sets sts:RoleSessionName')
    .option('--client-id <id>', `the provider's client IDs (repeatable; default ${STS_AUDIENCE})`, collect)
    .option('--jwks <file|url>', "verify the signature with this JWKS (default: the local issuer of .irsa/env, when the token is its; else it is NOT checked)")
    .option('--json', 'print JSON')
    .action(async function (this: Command, o: ExplainTrustFlags) {
      await runExplainTrust(ctx, o, this);
    });

  policy
    .command('audit')
    .description('audit IRSA trust policies for known holes; exit code 1 on any high or critical finding')
    .argument('<files...>', 'trust policy files')
    .option('--provider-arn <arn>', 'the provider the role should trust (checks keys and principal against it)')
    .option('--client-id <id>', "the provider's client IDs (repeatable): a missing aud is high when there are several", collect)
    .option('--account-id <id>', "the role's account (flags other accounts trusted without ExternalId, providers of other accounts)")
    .option('--role-arn <arn>', "the role's ARN (its account stands for --account-id)")
    .option('--operator', 'OpenShift operator role (ccoctl writes no aud condition by design)')
    .option('--json', 'print JSON')
    .action(function (this: Command, files: string[], o: AuditFlags) {
      runAudit(ctx, files, o, this);
    });

  policy
    .command('validate')
    .description("validate policy documents with AWS's MalformedPolicyDocument messages, size quotas and lint warnings (including actions, resource ARNs and condition keys no AWS service defines)")
    .argument('<files...>', 'policy files')
    .option('--kind <kind>', `identity|inline|managed|boundary|session|trust|resource (default: trust/resource when a Principal is present, else managed)`)
    .option('--json', 'print JSON')
    .action(async function (this: Command, files: string[], o: { kind?: string; json?: boolean }) {
      await runValidate(ctx, files, o, this);
    });

  policy
    .command('trust')
    .description('print the IRSA trust policy for a service account (StringEquals on <issuer>:sub and :aud)')
    .option('--provider-arn <arn>', 'the IAM OIDC provider ARN')
    .option('--issuer <url>', 'the issuer URL (with --account-id, instead of --provider-arn)')
    .option('--account-id <id>', 'the account that registered the provider')
    .option('--partition <p>', 'ARN partition with --issuer', 'aws')
    .requiredOption('--namespace <ns>', 'the service account namespace')
    .requiredOption('--service-account <name>', "the service account name, or '*' for every one of the namespace (StringLike)")
    .option('--audience <aud>', 'the audience', STS_AUDIENCE)
    .action((o: IrsaTrustPolicyOptions) => {
      runTrust(ctx, o);
    });
}
