/**
 * The error-code registry (STYLE rules 6–8): each area's `errors.ts` defines its error classes and lists its codes;
 * this test checks that every error class of src/ lives in its area's errors.ts and is exported by name from the
 * area's index.ts together with the code lists, that the codes are unique across areas, that every code raised
 * anywhere in src/ is registered (and every registered one is raised), that docs/errors.md documents exactly the
 * registered codes with the class that carries each, and that every error class sets `name` to its class name and
 * carries its `code`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as libErrors from '../../src/lib/errors.js';
import * as kubeErrors from '../../src/kube/errors.js';
import * as webhookErrors from '../../src/webhook/errors.js';
import * as oidcErrors from '../../src/oidc/errors.js';
import * as policyErrors from '../../src/policy/errors.js';
import * as awsErrors from '../../src/aws/errors.js';
import * as kubeIndex from '../../src/kube/index.js';
import * as webhookIndex from '../../src/webhook/index.js';
import * as oidcIndex from '../../src/oidc/index.js';
import * as policyIndex from '../../src/policy/index.js';
import * as awsIndex from '../../src/aws/index.js';
import { FieldError, GoParseError, InstanceMetadataError, IrsaError, LIB_ERROR_CODES, UsageError } from '../../src/lib/errors.js';
import { KUBE_API_ERROR_CODES, KUBE_ERROR_CODES, KubeApiError, ManifestError, type KubeApiErrorCode, type ManifestErrorCode } from '../../src/kube/errors.js';
import {
  AdmissionReviewError,
  ConfigMapConfigError,
  ContainerCredentialsConfigError,
  JsonPatchError,
  TLS_CONFIG_ERROR_CODES,
  TlsConfigError,
  WEBHOOK_AREA_ERROR_CODES,
  WEBHOOK_ERROR_CODES,
  WebhookError,
  type AdmissionReviewErrorCode,
  type TlsConfigErrorCode,
  type WebhookErrorCode,
} from '../../src/webhook/errors.js';
import { OIDC_ERROR_CODES, OidcError, type OidcErrorCode } from '../../src/oidc/errors.js';
import { MalformedPolicyDocumentError, POLICY_ERROR_CODES, PolicyError, PolicySizeLimitError, type PolicyErrorCode } from '../../src/policy/errors.js';
import { AWS_ERROR_CODES, AwsError, type AwsErrorCode } from '../../src/aws/errors.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The registry: every area's codes, as its errors.ts lists them. */
const AREAS = {
  lib: LIB_ERROR_CODES,
  kube: KUBE_ERROR_CODES,
  webhook: WEBHOOK_AREA_ERROR_CODES,
  oidc: OIDC_ERROR_CODES,
  policy: POLICY_ERROR_CODES,
  aws: AWS_ERROR_CODES,
} as const satisfies Record<string, readonly string[]>;
type Area = keyof typeof AREAS;
const areaOf = new Map<string, Area>();
for (const [area, codes] of Object.entries(AREAS) as Array<[Area, readonly string[]]>) for (const code of codes) areaOf.set(code, area);

/** Each area's errors module (src/<area>/errors.ts), and its index.ts where the area has one (src/lib has none). */
const ERRORS_MODULES: Record<Area, Record<string, unknown>> = { lib: libErrors, kube: kubeErrors, webhook: webhookErrors, oidc: oidcErrors, policy: policyErrors, aws: awsErrors };
const INDEX_MODULES: Partial<Record<Area, Record<string, unknown>>> = { kube: kubeIndex, webhook: webhookIndex, oidc: oidcIndex, policy: policyIndex, aws: awsIndex };

// Compile-time: the code types of the classes are exactly the registered lists (npm run typecheck fails on drift).
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const typeChecks: [
  Equals<ConstructorParameters<typeof TlsConfigError>[0], TlsConfigErrorCode>,
  Equals<TlsConfigError['code'], TlsConfigErrorCode>,
  Equals<AdmissionReviewError['code'], AdmissionReviewErrorCode>,
  Equals<WebhookError['code'], WebhookErrorCode>,
  Equals<ConstructorParameters<typeof KubeApiError>[0], KubeApiErrorCode>,
  Equals<KubeApiError['code'], KubeApiErrorCode>,
  Equals<ManifestError['code'], ManifestErrorCode>,
  Equals<OidcError['code'], OidcErrorCode>,
  Equals<PolicyError['code'], PolicyErrorCode>,
  Equals<AwsError['code'], AwsErrorCode>,
  Equals<UsageError['code'], 'ERR_USAGE'>,
  Equals<GoParseError['code'], 'ERR_GO_PARSE'>,
  Equals<FieldError['code'], 'ERR_INVALID_FIELD'>,
  Equals<InstanceMetadataError['code'], 'ERR_INSTANCE_METADATA'>,
] = [true, true, true, true, true, true, true, true, true, true, true, true, true, true];
void typeChecks;

interface Sample {
  /** The class, as the docs name it. */
  cls: abstract new (...args: never[]) => IrsaError;
  error: IrsaError;
  /** True when the class itself fixes the exit code / HTTP status (so docs/errors.md can be checked against it). */
  fixedStatus: boolean;
}

const cause = new Error('underlying');
/**
 * One instance per class and code, built as src/ builds them. A new IrsaError subclass must be added here. The one
 * code carried by the base class itself is `ERR_WEBHOOK_SHUTDOWN` (thrown by src/cli/webhook.ts).
 */
const SAMPLES: Sample[] = [
  { cls: IrsaError, error: new IrsaError('ERR_WEBHOOK_SHUTDOWN', 'the webhook did not shut down cleanly', { exitCode: 1 }), fixedStatus: false },
  { cls: UsageError, error: new UsageError('--port x: use a number', { cause }), fixedStatus: true },
  { cls: GoParseError, error: new GoParseError('strconv.ParseInt: parsing "x": invalid syntax'), fixedStatus: true },
  { cls: FieldError, error: new FieldError('roleArn', '"x": not an IAM role ARN; use arn:aws:iam::ACCOUNT:role/NAME', { cause }), fixedStatus: true },
  { cls: InstanceMetadataError, error: new InstanceMetadataError('cannot read the instance identity from EC2 instance metadata at http://169.254.169.254 (timeout)', { cause }), fixedStatus: true },
  { cls: ManifestError, error: new ManifestError('pods.yaml', 0, 'kind: missing'), fixedStatus: true },
  ...KUBE_API_ERROR_CODES.map((code) => ({ cls: KubeApiError, error: new KubeApiError(code, 'GET /x failed', { status: 0, cause }), fixedStatus: false })),
  ...TLS_CONFIG_ERROR_CODES.map((code) => ({ cls: TlsConfigError, error: new TlsConfigError(code, '--tls-x: bad', { cause }), fixedStatus: true })),
  { cls: AdmissionReviewError, error: new AdmissionReviewError('empty body', { cause }), fixedStatus: true },
  ...WEBHOOK_ERROR_CODES.map((code) => ({ cls: WebhookError, error: new WebhookError(code, 'bad'), fixedStatus: false })),
  { cls: ContainerCredentialsConfigError, error: new ContainerCredentialsConfigError('not JSON', { cause }), fixedStatus: true },
  { cls: ConfigMapConfigError, error: new ConfigMapConfigError('not YAML', { cause }), fixedStatus: true },
  { cls: JsonPatchError, error: new JsonPatchError('/spec/x: index 3 is out of range'), fixedStatus: true },
  ...OIDC_ERROR_CODES.map((code) => ({
    cls: OidcError,
    error: new OidcError(code, 'bad', code === 'ERR_OIDC_THUMBPRINT' ? { exitCode: 1, cause } : { cause }),
    fixedStatus: false,
  })),
  ...POLICY_ERROR_CODES.map((code) => ({ cls: PolicyError, error: new PolicyError(code, 'bad', { cause }), fixedStatus: code === 'ERR_POLICY_INPUT' })),
  { cls: MalformedPolicyDocumentError, error: new MalformedPolicyDocumentError('Syntax errors in policy.', { cause }), fixedStatus: true },
  { cls: PolicySizeLimitError, error: new PolicySizeLimitError('Cannot exceed quota for PolicySize: 6144', 7000, 6144), fixedStatus: true },
  ...AWS_ERROR_CODES.map((code) => ({ cls: AwsError, error: new AwsError(code, 'bad', 400, { cause }), fixedStatus: false })),
];

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) sourceFiles(path, out);
    else if (entry.name.endsWith('.ts')) out.push(path);
  }
  return out;
}
const SOURCES = sourceFiles(join(ROOT, 'src')).map((path) => ({ path: relative(ROOT, path), text: readFileSync(path, 'utf8') }));

/** Classes in src/ that extend IrsaError, directly or not, with whether their constructor takes the code first. */
function irsaErrorClasses(): Map<string, { file: string; codeFirst: boolean }> {
  const parents = new Map<string, { parent: string; file: string; codeFirst: boolean }>();
  for (const { path, text } of SOURCES) {
    for (const m of text.matchAll(/class (\w+) extends (\w+)/g)) {
      // the class body runs to the next line that is a lone `}` (one-line classes have no constructor of their own)
      const body = /^[^{]*\{([\s\S]*?)\n\}/.exec(text.slice(m.index))?.[1] ?? '';
      const ownBody = body.includes('class ') ? '' : body;
      parents.set(m[1]!, { parent: m[2]!, file: path, codeFirst: /constructor\(\s*code\b/.test(ownBody) });
    }
  }
  const out = new Map<string, { file: string; codeFirst: boolean }>([['IrsaError', { file: 'src/lib/errors.ts', codeFirst: true }]]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [name, c] of parents) {
      if (!out.has(name) && out.has(c.parent)) {
        out.set(name, { file: c.file, codeFirst: c.codeFirst });
        grew = true;
      }
    }
  }
  return out;
}

interface DocRow {
  area: string;
  code: string;
  cls: string;
  status: string;
  line: number;
}

function docRows(): DocRow[] {
  const rows: DocRow[] = [];
  let area = '';
  readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8')
    .split('\n')
    .forEach((line, i) => {
      const heading = /^## (\w+)/.exec(line);
      if (heading) area = heading[1]!;
      const row = /^\| `([^`]+)` \| `([^`]+)` \| ([^|]*) \|/.exec(line);
      if (row) rows.push({ area, code: row[1]!, cls: row[2]!, status: row[3]!.trim(), line: i + 1 });
    });
  return rows;
}

test('every error class lives in its area\'s errors.ts, exported by name there and from the area\'s index.ts with the code lists', () => {
  const misplaced: string[] = [];
  const notExported: string[] = [];
  for (const [name, { file }] of irsaErrorClasses()) {
    const area = /^src\/(\w+)\/errors\.ts$/.exec(file.split('\\').join('/'))?.[1];
    if (area === undefined || !Object.hasOwn(ERRORS_MODULES, area)) {
      misplaced.push(`${name} (${file})`);
      continue;
    }
    const cls = ERRORS_MODULES[area as Area][name];
    if (typeof cls !== 'function' || !(cls.prototype instanceof IrsaError || cls === IrsaError)) notExported.push(`${name} (${file})`);
  }
  assert.deepEqual(misplaced, [], 'error classes defined outside src/<area>/errors.ts: move them there');
  assert.deepEqual(notExported, [], 'error classes not exported from their errors.ts');
  const missingFromIndex: string[] = [];
  for (const [area, errors] of Object.entries(ERRORS_MODULES) as Array<[Area, Record<string, unknown>]>) {
    const index = INDEX_MODULES[area];
    assert.equal(index !== undefined, existsSync(join(ROOT, 'src', area, 'index.ts')), `${area}: INDEX_MODULES in this test is out of date`);
    if (index === undefined) continue;
    for (const [name, value] of Object.entries(errors)) {
      const isErrorClass = typeof value === 'function' && (value as { prototype: unknown }).prototype instanceof IrsaError;
      if ((isErrorClass || name.endsWith('_ERROR_CODES')) && index[name] !== value) missingFromIndex.push(`${name} (src/${area}/index.ts)`);
    }
  }
  assert.deepEqual(missingFromIndex, [], 'export these from the area\'s index.ts, from ./errors.js');
  // every sample's class comes from the errors module of the area its code is registered in (the base class aside)
  for (const { cls, error } of SAMPLES) {
    if (cls === IrsaError) continue;
    const area = areaOf.get(error.code);
    assert.ok(area, `${cls.name} ${error.code}: registered`);
    assert.equal(ERRORS_MODULES[area][cls.name], cls, `${cls.name} carries ${error.code}, registered in ${area}: define it in src/${area}/errors.ts`);
  }
});

test('every code is registered once: unique within its area and across areas', () => {
  const seen = new Map<string, string[]>();
  for (const [area, codes] of Object.entries(AREAS)) {
    assert.ok(codes.length > 0, `${area}: no codes registered`);
    for (const code of codes) seen.set(code, [...(seen.get(code) ?? []), area]);
  }
  const duplicates = [...seen].filter(([, areas]) => areas.length > 1).map(([code, areas]) => `${code} (${areas.join(', ')})`);
  assert.deepEqual(duplicates, [], 'a code defined twice; an area reusing another area\'s (AWS) code must import that definition, not repeat it');
  for (const code of seen.keys()) {
    assert.match(code, /^(ERR_[A-Z0-9]+(_[A-Z0-9]+)*|[A-Z][A-Za-z0-9]+)$/, `${code}: ERR_UPPER_SNAKE, or an AWS wire code in AWS's PascalCase`);
  }
});

test('every code raised in src/ is registered, and every registered code is raised somewhere', () => {
  const classes = irsaErrorClasses();
  const codeFirst = [...classes].filter(([, c]) => c.codeFirst).map(([name]) => name);
  for (const known of ['IrsaError', 'KubeApiError', 'TlsConfigError', 'WebhookError', 'OidcError', 'PolicyError', 'AwsError']) {
    assert.ok(codeFirst.includes(known), `the scan should see that new ${known}(code, …) takes the code first`);
  }
  const unregistered: string[] = [];
  const occurrences = new Map<string, number>();
  for (const { path, text } of SOURCES) {
    for (const m of text.matchAll(/['"`](ERR_[A-Z0-9_]+)['"`]/g)) {
      occurrences.set(m[1]!, (occurrences.get(m[1]!) ?? 0) + 1);
      if (!areaOf.has(m[1]!)) unregistered.push(`${m[1]} in ${path}`);
    }
    // classes whose constructor takes the code first (new OidcError('ERR_…', …), new PolicyError('LimitExceeded', …))
    for (const m of text.matchAll(new RegExp(`new (${codeFirst.join('|')})\\(\\s*'([^']+)'`, 'g'))) {
      if (!areaOf.has(m[2]!)) unregistered.push(`${m[2]} (new ${m[1]}) in ${path}`);
    }
  }
  assert.deepEqual(unregistered, [], 'add these codes to their area\'s errors.ts and to docs/errors.md');
  // each registered code appears once in its registry list; a code that appears nowhere else is never raised
  const allText = SOURCES.map((s) => s.text).join('\n');
  const dead = [...areaOf.keys()].filter((code) => allText.split(`'${code}'`).length - 1 < 2);
  assert.deepEqual(dead, [], 'registered codes no source raises (retire them: remove from the code and mark retired in docs/errors.md)');
});

test('docs/errors.md documents exactly the registered codes, each under its area', () => {
  const rows = docRows();
  const documented = new Map(rows.map((r) => [r.code, r]));
  assert.equal(documented.size, rows.length, 'a code documented twice');
  const missing = [...areaOf.keys()].filter((code) => !documented.has(code));
  assert.deepEqual(missing, [], 'registered but not in docs/errors.md');
  const unknown = rows.filter((r) => !areaOf.has(r.code)).map((r) => `${r.code} (line ${r.line})`);
  assert.deepEqual(unknown, [], 'documented in docs/errors.md but registered in no errors.ts');
  const misplaced = rows.filter((r) => areaOf.get(r.code) !== r.area).map((r) => `${r.code}: under "${r.area}", registered in ${areaOf.get(r.code)}`);
  assert.deepEqual(misplaced, []);
});

test('docs/errors.md names the class that carries each code, with its exit code and HTTP status', () => {
  for (const row of docRows()) {
    const samples = SAMPLES.filter((s) => s.cls.name === row.cls);
    assert.ok(samples.length > 0, `${row.code}: docs name class ${row.cls}, which is not an error class of src/ (line ${row.line})`);
    const sample = samples.find((s) => s.error.code === row.code);
    assert.ok(sample, `${row.code}: class ${row.cls} does not carry this code (line ${row.line})`);
    if (!sample.fixedStatus) continue;
    const exit = /\bexit (\d+)/.exec(row.status);
    if (exit) assert.equal(sample.error.exitCode, Number(exit[1]), `${row.code}: exit code in docs (line ${row.line})`);
    const http = /\bHTTP (\d{3})/.exec(row.status);
    if (http) {
      const status = (sample.error as { httpStatus?: number; statusCode?: number }).httpStatus ?? (sample.error as { statusCode?: number }).statusCode;
      assert.equal(status, Number(http[1]), `${row.code}: HTTP status in docs (line ${row.line})`);
    }
  }
});

test('every error class sets name to its class name and carries its registered code', () => {
  const classes = irsaErrorClasses();
  const sampled = new Set(SAMPLES.map((s) => s.cls.name));
  const notSampled = [...classes.keys()].filter((name) => !sampled.has(name)).map((name) => `${name} (${classes.get(name)!.file})`);
  assert.deepEqual(notSampled, [], 'IrsaError subclasses missing from SAMPLES in this test (and from docs/errors.md)');
  for (const { cls, error } of SAMPLES) {
    const what = `${cls.name} ${error.code}`;
    assert.ok(error instanceof cls && error instanceof IrsaError && error instanceof Error, what);
    assert.equal(error.name, cls.name, `${what}: name`);
    assert.ok(Object.hasOwn(error, 'code') && typeof error.code === 'string', `${what}: carries code`);
    assert.ok(areaOf.has(error.code), `${what}: code is registered`);
    assert.ok(Number.isInteger(error.exitCode) && error.exitCode > 0, `${what}: exit code`);
    assert.ok(error.message.length > 0, `${what}: message`);
    assert.match(String(error.stack), new RegExp(`^${cls.name}: `), `${what}: the stack starts with the class name`);
  }
  // cause is passed through, not flattened into the message
  for (const { cls, error } of SAMPLES) if (error.cause !== undefined) assert.equal(error.cause, cause, `${cls.name}: cause`);
  assert.equal(new UsageError('x', { cause }).cause, cause);
});

test('AWS wire codes keep AWS\'s spelling and fault, and the base of each area narrows on its own codes', () => {
  const malformed = new MalformedPolicyDocumentError('Syntax errors in policy.');
  assert.deepEqual([malformed.code, malformed.httpStatus, malformed.fault], ['MalformedPolicyDocument', 400, 'Sender']);
  const limit = new PolicySizeLimitError('Cannot exceed quota for PolicySize: 6144', 7000, 6144);
  assert.deepEqual([limit.code, limit.httpStatus, limit.fault], ['LimitExceeded', 409, 'Sender']);
  for (const e of SAMPLES.map((s) => s.error)) {
    if (e instanceof PolicyError) assert.ok((POLICY_ERROR_CODES as readonly string[]).includes(e.code));
    if (e instanceof OidcError) assert.ok((OIDC_ERROR_CODES as readonly string[]).includes(e.code));
    if (e instanceof WebhookError) assert.ok((WEBHOOK_ERROR_CODES as readonly string[]).includes(e.code));
    if (e instanceof TlsConfigError) assert.ok((TLS_CONFIG_ERROR_CODES as readonly string[]).includes(e.code));
    if (e instanceof KubeApiError) assert.ok((KUBE_API_ERROR_CODES as readonly string[]).includes(e.code));
  }
});
