/**
 * `irsa inject`: the webhook's mutation applied offline to manifests, like `istioctl kube-inject`. Reads YAML or
 * JSON (one or many documents) and writes the same documents with every pod (Pod, and the pod template of
 * Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob, ReplicationController, PodTemplate, inside `List`s
 * too) mutated; everything else, comments and formatting included, is left as it was.
 * @module
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import {
  applyAdditions,
  collectServiceAccounts,
  documentValue,
  findPods,
  getAt,
  ManifestError,
  parseManifests,
  stringifyManifests,
  type ManifestDocument,
  type ManifestSet,
  type ServiceAccountInfo,
} from '../kube/index.js';
import { UsageError } from '../lib/errors.js';
import type { JsonPatchOperation } from '../webhook/index.js';
import type { RegisterCommand } from './commands.js';
import { addMutationOptions, checkManifestDepth, loadInjector, namespaceFlag, type MutationFlagValues } from './mutation-flags.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
const OUTPUTS = ['yaml', 'json', 'patch'] as const;
type InjectOutput = (typeof OUTPUTS)[number];

interface InjectOptions extends MutationFlagValues {
  filename?: string[];
  recursive?: boolean;
  output?: string;
}

/** Registers `irsa inject`. */
export const registerInjectCommand: RegisterCommand = (program, ctx) => {
  const command = program
    .command('inject')
    .description('apply the pod identity webhook\'s mutation to manifests offline (Pod, Deployment, StatefulSet, Job, CronJob, ...)')
    .option('-f, --filename <file>', 'manifest file, YAML or JSON, one or many documents; - reads stdin (repeatable)', collect)
    .option('-R, --recursive', 'with -f DIR, also read the manifests in its subdirectories (as kubectl)')
    .option('-o, --output <format>', 'yaml, json, or patch (the JSON Patch the webhook returns, for a single Pod); default: the input\'s format');
  addMutationOptions(command).action(async (opts: InjectOptions) => {
    const files = opts.filename ?? [];
    if (files.length === 0) throw new UsageError('inject: name the manifests with -f FILE (or -f - for stdin)');
    if (opts.output !== undefined && !(OUTPUTS as readonly string[]).includes(opts.output)) {
      throw new UsageError(`--output ${JSON.stringify(opts.output)}: use yaml, json or patch`);
    }
    if (files.filter((f) => f === '-').length > 1) throw new UsageError('-f -: stdin can be read only once');

    const sets: ManifestSet[] = [];
    for (const file of await expandDirectories(files, ctx.cwd, opts.recursive === true)) {
      const text = file === '-' ? await readStream(ctx.stdin) : await readInput(resolve(ctx.cwd, file), file);
      sets.push(parseManifests(text, file === '-' ? '<stdin>' : file));
    }
    const injector = await loadInjector(opts, ctx);
    for (const w of injector.loadWarnings) ctx.stderr.write(`irsa: warning: ${w}\n`);
    const defaultNamespace = namespaceFlag(opts);

    // ServiceAccounts defined in the input itself (they would be applied together with the workloads).
    const inputServiceAccounts: ServiceAccountInfo[] = [];
    const work: Array<{ doc: ManifestDocument; value: unknown }> = [];
    for (const set of sets) {
      for (const doc of set.documents) {
        const value = documentValue(doc);
        checkManifestDepth(value, doc.source, doc.index);
        work.push({ doc, value });
        collectServiceAccounts(value, injector.settings.annotationPrefix, defaultNamespace, inputServiceAccounts);
      }
    }

    const patches: Array<{ where: string; kind: string; patch: JsonPatchOperation[] }> = [];
    const warnings: string[] = [];
    const notes: string[] = [];
    for (const { doc, value } of work) {
      const locations = findPods(value, doc.source, doc.index);
      const kind = (value as { kind?: unknown } | null)?.kind;
      if (locations.length === 0 && typeof kind === 'string' && kind !== 'ServiceAccount' && !kind.endsWith('List')) {
        notes.push(`${doc.source}, document ${doc.index + 1}: ${kind} has no pod template; passed through unchanged`);
      }
      for (const location of locations) {
        const template = getAt(value, location.path) as Record<string, unknown>;
        const pod = location.kind === 'Pod' ? template : { metadata: template.metadata ?? {}, spec: template.spec };
        const namespace = location.namespace ?? defaultNamespace;
        const result = injector.mutatePodObject(pod, namespace, inputServiceAccounts);
        const where = `${doc.source}, document ${doc.index + 1}, ${location.name}`;
        for (const w of result.warnings) warnings.push(`${where}: ${w}`);
        patches.push({ where, kind: location.kind, patch: result.patch });
        if (result.patch.length > 0) applyAdditions(doc, location.path, result.patch);
      }
    }

    const output = (opts.output ?? (sets.every((s) => s.format === 'json' || s.documents.length === 0) && sets.some((s) => s.documents.length > 0) ? 'json' : 'yaml')) as InjectOutput;
    let text: string;
    if (output === 'patch') {
      if (patches.length !== 1 || patches[0]!.kind !== 'Pod') {
        throw new UsageError(`--output patch: needs exactly one Pod in the input (found ${patches.length === 0 ? 'none' : patches.map((p) => p.where.split(', ').pop()).join(', ')}); use --output yaml or json for workloads`);
      }
      text = `${JSON.stringify(patches[0]!.patch)}\n`;
    } else {
      text = stringifyManifests(sets.flatMap((s) => s.documents), output);
    }
    for (const n of notes) ctx.stderr.write(`irsa: note: ${n}\n`);
    for (const w of warnings) ctx.stderr.write(`irsa: warning: ${w}\n`);
    ctx.stdout.write(text);
  });
};

const MANIFEST_EXTENSIONS = ['.json', '.yaml', '.yml'];

/** kubectl's -f DIR: the .json/.yaml/.yml files in it, sorted (subdirectories too with -R); files and - as given. */
async function expandDirectories(files: readonly string[], cwd: string, recursive: boolean): Promise<string[]> {
  const out: string[] = [];
  for (const file of files) {
    if (file === '-') {
      out.push(file);
      continue;
    }
    const info = await stat(resolve(cwd, file)).catch(() => undefined);
    if (!info?.isDirectory()) {
      out.push(file);
      continue;
    }
    const found = await listManifests(file, cwd, recursive);
    if (found.length === 0) throw new UsageError(`-f ${file}: no .json, .yaml or .yml file in the directory${recursive ? ' or below' : ' (-R reads subdirectories)'}`);
    out.push(...found);
  }
  return out;
}

async function listManifests(dir: string, cwd: string, recursive: boolean): Promise<string[]> {
  const entries = (await readdir(resolve(cwd, dir), { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (recursive) out.push(...(await listManifests(path, cwd, recursive)));
    } else if (MANIFEST_EXTENSIONS.some((ext) => entry.name.endsWith(ext))) {
      out.push(path);
    }
  }
  return out;
}

async function readInput(path: string, shown: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ManifestError(shown, undefined, `cannot read: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory (name a file)' : (err as Error).message}`);
  }
}

async function readStream(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
