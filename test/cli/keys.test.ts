import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { keyIdFromPublicKey, parsePublicKeysPem } from '../../src/oidc/index.js';
import { runCli } from '../oidc/cli-helpers.js';
import { openssl, tempDir } from '../oidc/helpers.js';

const dir = tempDir();

describe('irsa keys create', () => {
  test('RSA 2048 by default: PKCS#1 private key mode 0600, SPKI public key, kid printed; openssl accepts both', async () => {
    const run = await runCli(['keys', 'create', '--out', 'k1'], dir);
    assert.equal(run.code, 0, run.stderr);
    const key = join(dir, 'k1', 'sa-signer.key');
    const pub = join(dir, 'k1', 'sa-signer.pub');
    assert.equal(statSync(key).mode & 0o777, 0o600);
    assert.match(readFileSync(key, 'utf8'), /^-----BEGIN RSA PRIVATE KEY-----\n/);
    assert.match(readFileSync(pub, 'utf8'), /^-----BEGIN PUBLIC KEY-----\n/);
    assert.match(openssl(['rsa', '-in', key, '-check', '-noout']).toString(), /RSA key ok/);
    assert.match(openssl(['pkey', '-pubin', '-in', pub, '-noout', '-text']).toString(), /Public-Key: \(2048 bit\)/);
    const kid = keyIdFromPublicKey(parsePublicKeysPem(readFileSync(pub, 'utf8'), pub)[0]!);
    assert.match(run.stdout, new RegExp(`kid ${kid} \\(RS256\\)`));
    assert.ok(!run.stdout.includes('PRIVATE KEY'));
  });

  test('--type ec gives a P-256 SEC1 key; --bits 3072 an RSA 3072 key', async () => {
    assert.equal((await runCli(['keys', 'create', '--out', 'k2', '--type', 'ec'], dir)).code, 0);
    assert.match(readFileSync(join(dir, 'k2', 'sa-signer.key'), 'utf8'), /^-----BEGIN EC PRIVATE KEY-----\n/);
    assert.match(openssl(['pkey', '-pubin', '-in', join(dir, 'k2', 'sa-signer.pub'), '-noout', '-text']).toString(), /NIST CURVE: P-256/);
    assert.equal((await runCli(['keys', 'create', '--out', 'k3', '--bits', '3072'], dir)).code, 0);
    assert.match(openssl(['pkey', '-pubin', '-in', join(dir, 'k3', 'sa-signer.pub'), '-noout', '-text']).toString(), /3072 bit/);
  });

  test('refuses to overwrite without --force, replaces with it', async () => {
    const before = readFileSync(join(dir, 'k1', 'sa-signer.key'), 'utf8');
    const again = await runCli(['keys', 'create', '--out', 'k1'], dir);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /sa-signer\.key already exists; pass --force/);
    assert.equal(readFileSync(join(dir, 'k1', 'sa-signer.key'), 'utf8'), before);
    const forced = await runCli(['keys', 'create', '--out', 'k1', '--force'], dir);
    assert.equal(forced.code, 0);
    assert.notEqual(readFileSync(join(dir, 'k1', 'sa-signer.key'), 'utf8'), before);
  });

  test('bad flags: exit 2 with one line naming the flag', async () => {
    for (const [args, message] of [
      [['--type', 'dsa'], /--type "dsa": use rsa or ec/],
      [['--bits', '1024'], /--bits "1024": use 2048, 3072 or 4096/],
      [['--type', 'ec', '--bits', '2048'], /--bits applies to RSA keys only/],
    ] as const) {
      const run = await runCli(['keys', 'create', '--out', 'bad', ...args], dir);
      assert.equal(run.code, 2);
      assert.match(run.stderr, message);
      assert.equal(run.stderr.trim().split('\n').length, 1);
    }
    assert.ok(!existsSync(join(dir, 'bad', 'sa-signer.key')));
  });
});
