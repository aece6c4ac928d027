import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { irsa, oneLine } from '../cli/irsa-process.js';
import { tempDir } from './helpers.js';

const dir = tempDir();

function site(name: string, jwksUri: string): string {
  const root = join(dir, name);
  mkdirSync(join(root, '.well-known'), { recursive: true });
  writeFileSync(join(root, '.well-known', 'openid-configuration'), JSON.stringify({ issuer: 'https://oidc.example.com', jwks_uri: jwksUri }));
  return root;
}

test('irsa oidc serve --dir: a jwks_uri that leaves the directory (../, encoded, symlink) is refused before serving, exit 2', () => {
  const secret = join(dir, 'secret.txt');
  writeFileSync(secret, 'top secret\n');
  const cases: Array<[string, RegExp]> = [
    [site('dotdot', 'https://oidc.example.com/../../../../../../etc/passwd'), /jwks_uri .*leaves the directory/],
    [site('nested', 'https://oidc.example.com/a/../../secret.txt'), /leaves the directory/],
    [site('encoded', 'https://oidc.example.com/%2e%2e/secret.txt'), /is not a plain relative path/],
    [site('absolute', 'https://oidc.example.com//etc/passwd'), /leaves the directory/],
  ];
  const linked = site('linked', 'https://oidc.example.com/keys.json');
  symlinkSync(secret, join(linked, 'keys.json'));
  cases.push([linked, /is a symbolic link out of the directory/]);
  for (const [root, message] of cases) {
    const run = irsa(['oidc', 'serve', '--dir', root, '--port', '0'], { timeout: 30_000 });
    assert.equal(run.code, 2, `${root}: ${run.stdout}${run.stderr}`);
    assert.ok(oneLine(run.stderr), run.stderr);
    assert.match(run.stderr, message);
    assert.doesNotMatch(run.stdout, /serving/);
  }
});
