/**
 * The Dockerfile, checked statically (no container daemon in CI): multi-stage, Node 20 in both stages, non-root,
 * `irsa webhook` as entrypoint, a context that holds what the build copies and none of the secrets, and the
 * compiled entry where bin/irsa looks for it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

const repo = join(import.meta.dirname, '..', '..');
const dockerfile = readFileSync(join(repo, 'Dockerfile'), 'utf8');
const lines = dockerfile.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
const ignore = readFileSync(join(repo, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));

test('multi-stage: a Node 20 build stage and a small Node 20 runtime stage', () => {
  const froms = lines.filter((l) => l.startsWith('FROM '));
  assert.equal(froms.length, 2);
  assert.match(froms[0]!, /^FROM node:20[-.\w]* AS build$/);
  assert.match(froms[1]!, /^FROM (gcr\.io\/distroless\/nodejs20-debian12:nonroot|node:20[-\w.]*-slim|node:20[-\w.]*alpine[\w.]*)$/);
  const runtime = lines.slice(lines.indexOf(froms[1]!));
  for (const copy of runtime.filter((l) => l.startsWith('COPY'))) assert.match(copy, /--from=build/, 'the runtime takes only build outputs');
  assert.ok(runtime.some((l) => l.startsWith('COPY') && l.includes('/src/node_modules')), 'production node_modules');
  assert.ok(lines.some((l) => l.includes('npm prune --omit=dev')), 'dev dependencies are pruned');
});

test('runs as a non-root user with `irsa webhook` as entrypoint', () => {
  const user = lines.filter((l) => l.startsWith('USER ')).at(-1);
  assert.ok(user, 'USER is set');
  const uid = user!.slice(5).split(':')[0]!;
  assert.ok(uid !== 'root' && uid !== '0', `non-root user, got ${uid}`);
  const entry = JSON.parse(lines.find((l) => l.startsWith('ENTRYPOINT '))!.slice('ENTRYPOINT '.length)) as string[];
  assert.deepEqual(entry.slice(-2), ['/app/bin/irsa', 'webhook']);
});

test('the build context holds what the build copies and leaves out secrets and local state', () => {
  for (const l of lines.filter((x) => x.startsWith('COPY ') && !x.includes('--from='))) {
    const parts = l.split(/\s+/).slice(1, -1);
    for (const src of parts) {
      assert.ok(existsSync(join(repo, src)), `${src} exists`);
      assert.ok(!ignore.includes(src), `${src} is not excluded by .dockerignore`);
    }
  }
  for (const must of ['.git', 'node_modules', 'dist', '.irsa', '**/certs/*.key']) assert.ok(ignore.includes(must), `.dockerignore excludes ${must}`);
});

test('the compiled entry is where bin/irsa looks, and the ports match deploy/', () => {
  const build = JSON.parse(readFileSync(join(repo, 'tsconfig.build.json'), 'utf8')) as { compilerOptions: { rootDir: string; outDir: string } };
  assert.deepEqual([build.compilerOptions.rootDir, build.compilerOptions.outDir], ['src', 'dist']);
  // bin/irsa runs dist/cli/main.js, or dist/cli/webhook-worker.js in a `--workers` worker: both must be compiled
  const bin = readFileSync(join(repo, 'bin', 'irsa'), 'utf8');
  assert.match(bin, /'dist', 'cli', `\$\{entryName\}\.js`/);
  assert.match(bin, /entryName = .*\? 'webhook-worker' : 'main'/);
  for (const entry of ['main', 'webhook-worker']) assert.ok(existsSync(join(repo, 'src', 'cli', `${entry}.ts`)), `src/cli/${entry}.ts`);
  const deployment = parseAllDocuments(readFileSync(join(repo, 'deploy', 'base', 'deployment.yaml'), 'utf8'))[0]!.toJSON() as {
    spec: { template: { spec: { containers: Array<{ ports: Array<{ containerPort: number }> }> } } };
  };
  const exposed = lines.find((l) => l.startsWith('EXPOSE '))!.split(/\s+/).slice(1).map(Number);
  for (const p of deployment.spec.template.spec.containers[0]!.ports) assert.ok(exposed.includes(p.containerPort), `EXPOSE ${p.containerPort}`);
});
