import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { irsa, oneLine } from '../cli/irsa-process.js';
import { tempDir } from './helpers.js';

const dir = tempDir();

function weakPair(bits: number): { key: string; pub: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  const key = join(dir, `rsa${bits}.key`);
  const pub = join(dir, `rsa${bits}.pub`);
  writeFileSync(key, privateKey.export({ type: 'pkcs1', format: 'pem' }));
  writeFileSync(pub, publicKey.export({ type: 'spki', format: 'pem' }));
  return { key, pub };
}

test('weak RSA keys (512, 1024 bits) are refused by irsa token, exec, oidc discovery and serve: exit 2, one line, no stack', () => {
  for (const bits of [512, 1024]) {
    const { key, pub } = weakPair(bits);
    const runs = [
      irsa(['token', '--signing-key', key, '--issuer', 'https://oidc.example.com', '--namespace', 'default', '--service-account', 'app']),
      irsa(['exec', '--service-account', 'app', '--role-arn', 'arn:aws:iam::111122223333:role/r', '--signing-key', key, '--issuer', 'https://oidc.example.com', '--', 'true']),
      irsa(['oidc', 'discovery', '--issuer', 'https://oidc.example.com', '--public-key', pub, '--out', join(dir, `site${bits}`)]),
      irsa(['oidc', 'serve', '--issuer', 'https://oidc.example.com', '--public-key', pub, '--port', '0']),
    ].slice(0, bits === 512 ? 1 : 4); // 512 bits: the token that used to exit 70 with a stack trace
    for (const run of runs) {
      assert.equal(run.code, 2, run.stderr);
      assert.ok(oneLine(run.stderr), run.stderr);
      assert.match(run.stderr, new RegExp(`^irsa: .*rsa${bits}\\.(key|pub): RSA key of ${bits} bits is too weak; use 2048 bits or more`));
    }
  }
});

test('a published JWKS holding a 1024-bit key is refused when merged for rotation', () => {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const jwks = join(dir, 'weak-keys.json');
  writeFileSync(jwks, JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'x', use: 'sig', alg: 'RS256' }] }));
  const run = irsa(['oidc', 'discovery', '--issuer', 'https://oidc.example.com', '--public-key', jwks, '--out', join(dir, 'site-jwks')]);
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, /weak-keys\.json: RSA key of 1024 bits is too weak/);
});
