import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { main } from '../../src/cli/main.js';
import { captureContext } from './capture.js';

const root = new URL('../../', import.meta.url);
const packageVersion = (JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { version: string }).version;


test('irsa --version / -V print the package version from package.json and exit 0', async () => {
  for (const argv of [['--version'], ['-V']]) {
    const c = captureContext();
    assert.equal(await main(argv, c.ctx), 0, argv.join(' '));
    assert.equal(c.out(), `${packageVersion}\n`, argv.join(' '));
    assert.equal(c.err(), '');
  }
});

test('irsa webhook --version prints upstream\'s format (v + version) and exits 0, not the root program\'s version', async () => {
  const cases = [
    ['webhook', '--version'],
    ['webhook', '--version=true'],
    ['webhook', '--port=8443', '--in-cluster=false', '--version'],
  ];
  for (const argv of cases) {
    const c = captureContext();
    assert.equal(await main(argv, c.ctx), 0, argv.join(' '));
    assert.equal(c.out(), `v${packageVersion}\n`, argv.join(' '));
    assert.equal(c.err(), '', argv.join(' '));
  }
});

test('irsa webhook --version=false does not print a version (the flag is parsed as upstream\'s bool)', async () => {
  const c = captureContext();
  // --help stops before serving; what matters is that no version line was printed.
  assert.equal(await main(['webhook', '--version=false', '--help'], c.ctx), 0);
  assert.doesNotMatch(c.out(), new RegExp(`^v?${packageVersion.replace(/\./g, '\\.')}$`, 'm'));
  assert.match(c.out(), /Usage: irsa webhook/);
});

test('irsa webhook --version with a bad flag reports the flag (exit 2), as upstream parses flags first', async () => {
  const c = captureContext();
  assert.equal(await main(['webhook', '--no-such-flag', '--version'], c.ctx), 2);
  assert.equal(c.out(), '');
  assert.match(c.err(), /no-such-flag/);
});

test('bin/irsa webhook --version end to end', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [new URL('bin/irsa', root).pathname, 'webhook', '--version'], {
    env: { ...process.env, IRSA_FROM_SOURCE: '1' },
  });
  assert.equal(stdout, `v${packageVersion}\n`);
});

test('a reader that closes early (irsa … | head) ends irsa quietly, not with an EPIPE stack trace', async () => {
  const { spawn } = await import('node:child_process');
  // The reader is gone before irsa writes anything: its first write meets a closed pipe.
  const child = spawn(process.execPath, [new URL('bin/irsa', root).pathname, 'webhook', '--help'], {
    env: { ...process.env, IRSA_FROM_SOURCE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdout.destroy();
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(stderr, '');
  assert.equal(code, 0);
});
