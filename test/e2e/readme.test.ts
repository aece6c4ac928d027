/**
 * The README cannot drift: every shell block runs, in order, in one bash session (as one pasted into a terminal),
 * in a copy of this checkout with its own state directory, inside a private network namespace so `npm start`
 * takes its default ports; and every output block shown is what the block above it prints.
 *
 * Directives, HTML comments on the line before a block (invisible on GitHub):
 * - `<!-- readme-test: skip (reason) -->`   the shell block is not run (a cluster, a registry, npm install);
 * - `<!-- readme-test: background until "TEXT" -->`   run it in the background, go on once its stdout has TEXT;
 * - `<!-- readme-test: exit N -->`   the block's last command exits N; the commands before it may fail (shown failing);
 * - `<!-- readme-test: stdout|stderr of the block above -->`   the text block is that block's output: its lines in
 *   order, `...` standing for any lines; the admin key, times and session numbers may differ.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CI, namespaceArgs, repo, requireClient, run, stopAll, works } from './harness.js';

interface Block {
  index: number;
  line: number;
  lang: string;
  body: string;
  directive: string | undefined;
}

/** Fenced blocks of a markdown text with the directive comment just above each. */
export function readmeBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]!);
    let above = start - 1;
    while (above >= 0 && lines[above]!.trim() === '') above--;
    const d = above >= 0 ? /^<!-- readme-test: (.*) -->$/.exec(lines[above]!) : null;
    blocks.push({ index: blocks.length, line: start + 1, lang: open[1]!, body: body.join('\n'), directive: d?.[1] });
  }
  return blocks;
}

const SHELL = new Set(['sh', 'bash', 'shell']);

/** What may differ between the README and a run: the admin key, times, session names, the checkout's path. */
export function normalize(text: string, checkout: string): string[] {
  return text
    .split(checkout)
    .join('<checkout>')
    .replace(/\r/g, '')
    .replace(/(\/[\w.-]+)*\/irsa-kit\//g, '<checkout>/')
    .replace(/AKIA[A-Z0-9]{16}/g, 'AKIA<key>')
    .replace(/"time":\d+/g, '"time":<t>')
    .replace(/botocore-session-\d+/g, 'botocore-session-<n>')
    .split('\n');
}

/** Expected lines in order; `...` stands for any lines (none included); otherwise lines follow each other. */
export function matchesOutput(expected: string[], actual: string[]): boolean {
  const trimEnd = (l: string[]): string[] => {
    const out = [...l];
    while (out.length > 0 && out[out.length - 1]!.trim() === '') out.pop();
    return out;
  };
  const exp = trimEnd(expected);
  const act = trimEnd(actual);
  const go = (e: number, a: number, anchored: boolean): boolean => {
    if (e === exp.length) return !anchored || a === act.length;
    if (exp[e] === '...') {
      for (let k = a; k <= act.length; k++) if (go(e + 1, k, e + 1 === exp.length ? false : true)) return true;
      return false;
    }
    return a < act.length && exp[e] === act[a] && go(e + 1, a + 1, anchored);
  };
  return go(0, 0, true);
}

test('matchesOutput: lines in order, ... for any lines', () => {
  assert.ok(matchesOutput(['a', '...', 'c'], ['a', 'b', 'b', 'c']));
  assert.ok(matchesOutput(['...', 'b', '...'], ['a', 'b', 'c']));
  assert.ok(!matchesOutput(['a', 'c'], ['a', 'b', 'c']));
  assert.ok(!matchesOutput(['a'], ['a', 'b']));
  assert.ok(!matchesOutput(['...', 'x', '...'], ['a', 'b']));
});

test('every shell block of README.md runs in order and prints what the README shows', { timeout: 900_000 }, async (t) => {
  t.after(stopAll);
  const markdown = await readFile(join(repo, 'README.md'), 'utf8');
  const blocks = readmeBlocks(markdown);
  const ns = namespaceArgs();
  if (!requireClient(t, ns !== undefined, 'no private network namespace here (unshare --net, as root or in a user namespace): npm start needs its default ports')) return;
  const needs = [
    ['python3', ['-c', 'import boto3']],
    ['aws', ['--version']],
  ] as const;
  for (const [cmd, args] of needs) if (!requireClient(t, works(cmd, args), `${cmd} (with what the README uses) is not on PATH`)) return;

  // A copy of the checkout as a fresh clone has it (tracked files), sharing node_modules: the README's `npm install`.
  const dir = await mkdtemp(join(tmpdir(), 'irsa-readme-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const checkout = join(dir, 'irsa-kit');
  const listed = await run('git', ['ls-files', '-z'], { cwd: repo });
  assert.equal(listed.code, 0, listed.stderr);
  for (const file of listed.stdout.split('\0').filter((f) => f !== '')) {
    if (!existsSync(join(repo, file))) continue;
    await mkdir(join(checkout, file, '..'), { recursive: true });
    await cp(join(repo, file), join(checkout, file), { dereference: false });
  }
  // Files this branch adds but has not committed yet are part of what is tested.
  for (const file of ['README.md']) await cp(join(repo, file), join(checkout, file));
  await symlink(join(repo, 'node_modules'), join(checkout, 'node_modules'));
  const work = join(dir, 'run');
  await mkdir(work);

  // One bash session: sourced blocks share variables and the working directory, as in a terminal.
  const bgPids = join(work, 'background.pids');
  const script: string[] = [
    'set -uo pipefail',
    'exec 3>&2',
    `cd ${JSON.stringify(checkout)}`,
    'ip link set lo up',
    // background blocks run in their own process group, stopped (SIGTERM, as Ctrl-C) when the session ends
    `stop_background() { for p in $(cat ${JSON.stringify(bgPids)} 2>/dev/null); do kill -TERM -- -$p 2>/dev/null; done; wait; }`,
    'trap stop_background EXIT',
  ];
  const outputOf = new Map<number, { stdout: string; stderr: string; block: Block }>();
  let previousShell: Block | undefined;
  const checks: Array<{ expected: Block; of: Block; stream: 'stdout' | 'stderr' }> = [];
  for (const block of blocks) {
    const directive = block.directive ?? '';
    if (SHELL.has(block.lang)) {
      previousShell = block;
      if (directive.startsWith('skip')) {
        assert.match(directive, /^skip \(.+\)$/, `README.md:${block.line}: a skipped block says why: skip (reason)`);
        previousShell = undefined;
        continue;
      }
      // the copy shares this checkout's node_modules, and npm test would run this test inside itself
      assert.doesNotMatch(block.body, /\bnpm (install|ci|test)\b|\bnpm i\b/, `README.md:${block.line}: a block running npm install/ci/test is marked skip (reason)`);
      const file = join(work, `block-${block.index}.sh`);
      await writeFile(file, `${block.body}\n`);
      const out = join(work, `block-${block.index}.out`);
      const err = join(work, `block-${block.index}.err`);
      outputOf.set(block.index, { stdout: out, stderr: err, block });
      const background = /^background until "(.+)"$/.exec(directive);
      if (background) {
        script.push(
          `echo "README.md:${block.line}: background" >&2`,
          `setsid bash ${JSON.stringify(file)} > ${JSON.stringify(out)} 2> ${JSON.stringify(err)} < /dev/null &`,
          `echo $! >> ${JSON.stringify(bgPids)}`,
          `for i in $(seq 1800); do grep -qF ${JSON.stringify(background[1])} ${JSON.stringify(out)} && break; sleep 0.1; done`,
          `grep -qF ${JSON.stringify(background[1])} ${JSON.stringify(out)} || { echo "README.md:${block.line}: no ${background[1]} within 180 s" >&2; cat ${JSON.stringify(err)} >&2; exit 90; }`,
        );
        continue;
      }
      const exit = /^exit (\d+)$/.exec(directive);
      const want = exit ? Number(exit[1]) : 0;
      assert.ok(directive === '' || exit, `README.md:${block.line}: unknown directive ${JSON.stringify(directive)}`);
      const fail = `{ echo "README.md:${block.line}: exit $rc from: $cmd" >&3; cat ${JSON.stringify(out)} ${JSON.stringify(err)} >&3; exit 91; }`;
      // Sourced in this shell, so variables and `source .irsa/env` reach the next blocks as in one terminal;
      // a failing command ends the run (set -e's rule, through the ERR trap), except in an `exit N` block.
      script.push(
        `echo "README.md:${block.line}: run" >&2`,
        !exit ? `trap 'rc=$?; cmd=$BASH_COMMAND; ${fail.replace(/'/g, `'\\''`)}' ERR` : 'trap - ERR',
        `source ${JSON.stringify(file)} > ${JSON.stringify(out)} 2> ${JSON.stringify(err)} < /dev/null; rc=$?; cmd=${JSON.stringify(`the block at README.md:${block.line}`)}`,
        'trap - ERR',
        `[ $rc -eq ${want} ] || ${fail}`,
      );
      continue;
    }
    const of = /^(stdout|stderr) of the block above$/.exec(directive);
    if (of) {
      assert.ok(previousShell && outputOf.has(previousShell.index), `README.md:${block.line}: "${directive}" follows no block that runs`);
      checks.push({ expected: block, of: previousShell, stream: of[1] as 'stdout' | 'stderr' });
    } else {
      assert.equal(block.directive, undefined, `README.md:${block.line}: unknown directive ${JSON.stringify(directive)}`);
    }
  }
  script.push('echo "README: every block ran" >&2');
  const scriptPath = join(work, 'readme.sh');
  await writeFile(scriptPath, `${script.join('\n')}\n`);

  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_') && !k.startsWith('IRSA_') && k !== 'NODE_TEST_CONTEXT') env[k] = v;
  t.after(async () => {
    // whatever happens to the session, its background processes end
    for (const pid of (await readFile(bgPids, 'utf8').catch(() => '')).split('\n').filter(Boolean)) {
      try {
        process.kill(-Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
  const r = await run('unshare', [...ns!, 'bash', scriptPath], {
    env: { ...env, HOME: dir, TMPDIR: dir, AWS_CONFIG_FILE: join(dir, 'no-aws-config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-aws-credentials'), AWS_EC2_METADATA_DISABLED: 'true', AWS_PAGER: '', CI: CI ? 'true' : '' },
    cwd: checkout,
    timeoutMs: 800_000,
  });
  assert.equal(r.code, 0, `the README's blocks failed (exit ${r.code}):\n${r.stderr}`);
  assert.match(r.stderr, /README: every block ran/);

  const failures: string[] = [];
  for (const check of checks) {
    const file = outputOf.get(check.of.index)![check.stream];
    const actual = normalize(await readFile(file, 'utf8'), checkout);
    const expected = normalize(check.expected.body, checkout);
    if (!matchesOutput(expected, actual)) {
      failures.push(`README.md:${check.expected.line} shows what README.md:${check.of.line} prints on ${check.stream}, but it printed:\n${actual.join('\n')}\n--- the README shows:\n${expected.join('\n')}`);
    }
  }
  assert.deepEqual(failures, [], failures.join('\n\n'));
});
