/**
 * STS as a query service of the plane: `AssumeRoleWithWebIdentity` (unsigned), `AssumeRole` and `GetCallerIdentity`
 * (signed) over the plane's IAM store and session store, issuer keys from a {@link JwksCache}. Each decision is
 * recorded in the decision log (`irsa why`) and summarized in `x-irsa-explain`; the body stays AWS's.
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { accountOfArn } from '../../lib/aws-arn.js';
import type { CompiledPolicy, CompilePolicyOptions, Decision } from '../../policy/index.js';
import type { Principal } from '../credentials.js';
import type { DecisionText } from '../decisions.js';
import type { Plane } from '../plane.js';
import { STS_API_VERSION, STS_XML_NAMESPACE } from '../protocol/constants.js';
import type { XmlObject } from '../protocol/xml.js';
import type { IssueSessionInput, SessionCredentials } from '../sessions.js';
import type { QueryCall, QueryService, QueryServiceFactory } from '../service.js';
import { assumeRole, getCallerIdentity, type AssumeRoleOutput } from './assume-role.js';
import { assumeRoleWithWebIdentity, type AssumeRoleWithWebIdentityOutput, type StsExplanation, type StsOutcome } from './assume-role-with-web-identity.js';
import type { StsBackend, StsCaller, StsEnvironment, StsRole } from './backend.js';
import { createIdpFetcher } from './idp-fetcher.js';
import { JwksCache, type IdpFetcher, type IssuerKeySource } from './jwks-cache.js';
import { WebIdentityTrustCache } from './trust-cache.js';
import { SignatureBatch, VerifiedTokens, type WebIdentityProvider } from './web-identity-token.js';
import type { WebIdentityTrustResult } from './web-identity-trust.js';

/** The plane's stores seen through STS's interfaces. */
export class PlaneStsBackend implements StsBackend {
  constructor(private readonly plane: Plane) {}

  findOidcProvider(accountId: string, hostPath: string): WebIdentityProvider | undefined {
    if (accountId !== this.plane.accountId) return undefined;
    this.sameGeneration();
    if (this.providers.has(hostPath)) return this.providers.get(hostPath);
    const p = this.plane.iam.getOidcProviderByUrl(`https://${hostPath}`);
    const provider = p === undefined ? undefined : { arn: p.arn, url: p.url, clientIds: p.clientIds, thumbprints: p.thumbprints };
    if (this.providers.size >= 1000) this.providers.clear();
    this.providers.set(hostPath, provider);
    return provider;
  }

  /**
   * Roles by ARN and providers by issuer, valid while IAM's generation is unchanged (every AssumeRoleWithWebIdentity
   * looks both up; IAM's own read cache builds a key from the SQL text per lookup).
   */
  private readonly roles = new Map<string, StsRole | undefined>();
  private readonly providers = new Map<string, WebIdentityProvider | undefined>();
  private generation = -1;

  private sameGeneration(): void {
    if (this.generation !== this.plane.iam.generation) {
      this.roles.clear();
      this.providers.clear();
      this.generation = this.plane.iam.generation;
    }
  }

  getRole(roleArn: string): StsRole | undefined {
    this.sameGeneration();
    if (this.roles.has(roleArn)) return this.roles.get(roleArn);
    const r = this.plane.iam.getRoleByArn(roleArn);
    const role = r === undefined ? undefined : { arn: r.arn, roleId: r.roleId, roleName: r.roleName, path: r.path, accountId: this.plane.accountId, assumeRolePolicyDocument: r.assumeRolePolicyDocument, maxSessionDuration: r.maxSessionDuration };
    if (this.roles.size >= 1000) this.roles.clear();
    this.roles.set(roleArn, role);
    return role;
  }

  getManagedPolicyDocument(policyArn: string): string | undefined {
    // AWS managed policies, or the account's own: another account's policy is not attachable
    const account = accountOfArn(policyArn);
    if (account !== undefined && account !== this.plane.accountId) return undefined;
    return this.plane.authorizer.managedPolicyDocument(policyArn);
  }

  issueSessionCredentials(input: IssueSessionInput): Promise<SessionCredentials> {
    return this.plane.sessions.issueSessionCredentialsBatched(input);
  }
}

/** Options of {@link createStsService}. */
export interface StsServiceOptions {
  /** Fetches discovery documents and JWKS; default {@link planeIdpFetcher}. */
  fetcher?: IdpFetcher;
  /** Replaces the JWKS cache (tests, benchmarks). */
  keys?: IssuerKeySource;
  /** Token clock tolerance, default 300 s. */
  clockToleranceSeconds?: number;
  /** `Token too old` limit; default off. */
  maxTokenAgeSeconds?: number;
}

function credentialsXml(c: SessionCredentials): XmlObject {
  return { AccessKeyId: c.accessKeyId, SecretAccessKey: c.secretAccessKey, SessionToken: c.sessionToken, Expiration: c.expiration };
}

/** The `AssumeRoleWithWebIdentityResult` members in the model's order. */
export function assumeRoleWithWebIdentityResult(o: AssumeRoleWithWebIdentityOutput): XmlObject {
  return {
    Credentials: credentialsXml(o.credentials),
    SubjectFromWebIdentityToken: o.subjectFromWebIdentityToken,
    AssumedRoleUser: { AssumedRoleId: o.assumedRoleUser.assumedRoleId, Arn: o.assumedRoleUser.arn },
    PackedPolicySize: o.packedPolicySize,
    Provider: o.provider,
    Audience: o.audience,
    SourceIdentity: o.sourceIdentity,
  };
}

/** The `AssumeRoleResult` members in the model's order. */
export function assumeRoleResult(o: AssumeRoleOutput): XmlObject {
  return {
    Credentials: credentialsXml(o.credentials),
    AssumedRoleUser: { AssumedRoleId: o.assumedRoleUser.assumedRoleId, Arn: o.assumedRoleUser.arn },
    PackedPolicySize: o.packedPolicySize,
    SourceIdentity: o.sourceIdentity,
  };
}

/**
 * The fetcher for the plane's issuers: the system CAs plus the plane's issuer CA files, and each local issuer's
 * port-less URL mapped to where it is served (`https://oidc.irsa.local` → `127.0.0.1:PORT`).
 */
export function planeIdpFetcher(plane: Plane): IdpFetcher {
  const hostMap: Record<string, string> = {};
  for (const [issuer, served] of Object.entries(plane.issuerEndpoints)) {
    const at = new URL(served);
    hostMap[new URL(issuer).hostname] = `${at.hostname}:${at.port || (at.protocol === 'https:' ? '443' : '80')}`;
  }
  const ca = plane.issuerCaFiles.filter((f) => existsSync(f)).map((f) => readFileSync(f, 'utf8'));
  return createIdpFetcher({ ca, hostMap });
}

/** The caller of a signed STS call, with its policies in scope. */
function stsCaller(plane: Plane, principal: Principal): StsCaller {
  const { set } = plane.authorizer.scope(principal);
  if (principal.kind === 'assumed-role') {
    const session = plane.sessions.getSession(principal.accessKeyId);
    return {
      arn: principal.arn,
      accountId: principal.accountId,
      userId: principal.userId,
      principal: { type: 'AWS', id: principal.arn, account: principal.accountId, roleArn: principal.roleArn },
      policies: set,
      ...(session === undefined ? {} : { session }),
    };
  }
  return { arn: principal.arn, accountId: principal.accountId, userId: principal.userId, principal: { type: 'AWS', id: principal.arn, account: principal.accountId }, policies: set };
}

/** The trust evaluation's part of an explanation, by result (a memoized allow is explained once). */
const trustTexts = new WeakMap<WebIdentityTrustResult, string>();

/** The request context, notes, each action's decision and, for refusals, why each statement did not apply. */
function trustText(trust: WebIdentityTrustResult): string {
  let text = trustTexts.get(trust);
  if (text !== undefined) return text;
  const lines = ['request context (as STS builds it):'];
  for (const [k, v] of Object.entries(trust.context.keys ?? {})) lines.push(`  ${k} = ${JSON.stringify(v)}`);
  for (const n of trust.notes) lines.push(`note: ${n}`);
  for (const a of trust.actions) {
    lines.push(`${a.action}: ${a.result.decision}${a.result.reasons.length > 0 ? ` — ${a.result.reasons.join('; ')}` : ''}`);
    // each trust-policy statement and why it did not apply (the condition, the value expected, the value the token has)
    for (const t of a.result.trace ?? []) if (!t.applied && t.reason !== null) lines.push(`  not applied  ${t.statement.policy} #${t.statement.index} ${t.statement.effect}: ${t.reason.message}`);
  }
  text = lines.join('\n');
  trustTexts.set(trust, text);
  return text;
}

/**
 * Recent decision texts by what they say (principal, summary, answer) and the trust evaluation behind them: calls
 * decided the same way within a second (one allow text per role session and second) share one object, which the
 * decision log stores once without comparing contents.
 */
class DecisionTexts {
  private readonly texts = new Map<string, { trust: WebIdentityTrustResult | undefined; text: DecisionText }>();

  /** The text kept for `key` and this very trust evaluation, if any. */
  find(key: string, trust: WebIdentityTrustResult | undefined): DecisionText | undefined {
    const hit = this.texts.get(key);
    return hit !== undefined && hit.trust === trust ? hit.text : undefined;
  }

  keep(key: string, trust: WebIdentityTrustResult | undefined, text: DecisionText): DecisionText {
    if (this.texts.size >= 1000) this.texts.clear();
    this.texts.set(key, { trust, text });
    return text;
  }
}

/** The decision text of an outcome: what `irsa why` prints, without the request line. */
function decisionText(principal: string, action: string, resource: string, summary: string, answer: string, outcome: StsOutcome<unknown>): DecisionText {
  const e = outcome.explanation;
  const decision: Decision = outcome.ok ? 'Allow' : e.trust?.actions.find((a) => a.result.decision === 'ExplicitDeny') !== undefined ? 'ExplicitDeny' : 'ImplicitDeny';
  let explanation = `principal ${principal}\nstep ${e.step}: ${e.summary}${answer}`;
  if (e.trust !== undefined) explanation += `\n${trustText(e.trust)}`;
  return { service: 'sts', principal, action, resource, decision, summary, explanation };
}

/** Records the outcome for `irsa why` and sets `x-irsa-explain`. */
function record(call: QueryCall, texts: DecisionTexts, principal: string, action: string, resource: string, outcome: StsOutcome<unknown>): void {
  const e: StsExplanation = outcome.explanation;
  const head = outcome.ok ? 'Allow' : `${outcome.fault.code} at ${e.step}`;
  const summary = `${head} ${action} on ${resource}: ${e.summary}`;
  const answer = outcome.ok ? '' : `\nanswered ${outcome.fault.code} (${outcome.fault.httpStatus}): ${outcome.fault.message}`;
  const key = `${principal}\u0000${summary}${answer}`;
  call.record(texts.find(key, e.trust) ?? texts.keep(key, e.trust, decisionText(principal, action, resource, summary, answer, outcome)));
}

/**
 * The STS query service for a plane.
 * @example
 * createPlane({ db, queryServices: [createStsService({ fetcher: createIdpFetcher({ ca: [caPem], hostMap }) })] });
 */
export function createStsService(options: StsServiceOptions = {}): QueryServiceFactory {
  return (plane: Plane): QueryService => {
    const keys = options.keys ?? new JwksCache({ fetcher: options.fetcher ?? planeIdpFetcher(plane), now: () => plane.now().getTime() });
    const backend = new PlaneStsBackend(plane);
    const trustCache = new WebIdentityTrustCache();
    const verifiedTokens = new VerifiedTokens();
    const signatureBatch = new SignatureBatch();
    const decisionTexts = new DecisionTexts();
    // Trust policies are compiled on every AssumeRole*: the role's text object is the key here, so the common case
    // skips PolicyCache's hash of the whole document; anything else goes to the plane's cache.
    const trustPolicies = new Map<string, { name: string | undefined; policy: CompiledPolicy }>();
    const compile = (doc: string, o: CompilePolicyOptions): CompiledPolicy => {
      if (o.kind !== 'trust' || Object.keys(o).length !== 2) return plane.policies.compile(doc, o);
      const hit = trustPolicies.get(doc);
      if (hit !== undefined && hit.name === o.name) return hit.policy;
      const policy = plane.policies.compile(doc, o);
      if (trustPolicies.size >= 1000) trustPolicies.clear();
      trustPolicies.set(doc, { name: o.name, policy });
      return policy;
    };
    const envFor = (call: QueryCall): StsEnvironment => ({
      backend,
      keys,
      now: () => call.now,
      compile,
      trustCache,
      verifiedTokens,
      signatureBatch,
      clockToleranceSeconds: options.clockToleranceSeconds,
      maxTokenAgeSeconds: options.maxTokenAgeSeconds,
    });
    // The last mark of each role, with IAM's generation just after it: while nothing else was written to IAM, the
    // stored RoleLastUsed is that mark, so the check below is decided without reading the role again.
    const marks = new Map<string, { at: number; region: string; generation: number }>();
    const markUsed = (roleArn: string, call: QueryCall): void => {
      const mark = marks.get(roleArn);
      if (mark !== undefined && mark.generation === plane.iam.generation && mark.region === call.region && call.now.getTime() - mark.at < 1000) return;
      const role = plane.iam.getRoleByArn(roleArn);
      if (role === undefined) return;
      // RoleLastUsed is coarse on AWS too (reported hours late): written at most once a second per role and region,
      // so a burst of sessions does not rewrite the row (and drop IAM's read caches) on every call.
      const last = role.lastUsedDate;
      if (last !== null && role.lastUsedRegion === call.region && call.now.getTime() - last.getTime() < 1000) return;
      plane.iam.markRoleUsed(role.roleName, call.now, call.region);
      if (marks.size >= 1000) marks.clear();
      marks.set(roleArn, { at: call.now.getTime(), region: call.region, generation: plane.iam.generation });
    };
    return {
      name: 'sts',
      version: STS_API_VERSION,
      namespace: STS_XML_NAMESPACE,
      actions: {
        AssumeRoleWithWebIdentity: {
          auth: 'none',
          async handle(call) {
            const r = await assumeRoleWithWebIdentity(call.params, envFor(call));
            const provider = r.explanation.trust?.context.principal?.id ?? 'anonymous';
            const roleArn = call.params.get('RoleArn') ?? '*';
            record(call, decisionTexts, provider, 'sts:AssumeRoleWithWebIdentity', roleArn, r);
            if (!r.ok) throw r.fault;
            markUsed(roleArn, call);
            return assumeRoleWithWebIdentityResult(r.output);
          },
        },
        AssumeRole: {
          auth: 'signed',
          async handle(call) {
            const caller = stsCaller(plane, call.caller!.principal);
            const r = await assumeRole(call.params, caller, envFor(call));
            const roleArn = call.params.get('RoleArn') ?? '*';
            record(call, decisionTexts, caller.arn, 'sts:AssumeRole', roleArn, r);
            if (!r.ok) throw r.fault;
            markUsed(roleArn, call);
            return assumeRoleResult(r.output);
          },
        },
        GetCallerIdentity: {
          auth: 'signed',
          json: true,
          handle(call) {
            const p = call.caller!.principal;
            const o = getCallerIdentity({ arn: p.arn, accountId: p.accountId, userId: p.userId, principal: { type: 'AWS', id: p.arn }, policies: {} });
            return { UserId: o.userId, Account: o.account, Arn: o.arn };
          },
        },
      },
    };
  };
}

/** STS with default options (system CAs, no host map). */
export const stsService: QueryServiceFactory = createStsService();
