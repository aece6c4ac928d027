/**
 * Identifiers draw one alphabet character per random byte (byte modulo the alphabet's size), so a seeded source
 * gives the same ids: pinned here against the definition.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newAccessKeyId, newSecretAccessKey, newSessionAccessKeyId, newSessionToken } from '../../src/aws/ids.js';

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const SECRET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const byDefinition = (bytes: Uint8Array, alphabet: string): string => [...bytes].map((b) => alphabet[b % alphabet.length]).join('');

test('ids map each random byte to alphabet[byte % size], for every byte value', () => {
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 7 + 3) % 256));
  for (let at = 0; at + 40 <= 256; at += 8) {
    const bytes = all.subarray(at, at + 40);
    assert.equal(newSecretAccessKey(() => bytes), byDefinition(bytes, SECRET));
    assert.equal(newSessionAccessKeyId(() => bytes.subarray(0, 16)), `ASIA${byDefinition(bytes.subarray(0, 16), UPPER)}`);
    assert.equal(newAccessKeyId(() => bytes.subarray(0, 16)), `AKIA${byDefinition(bytes.subarray(0, 16), UPPER)}`);
  }
  assert.equal(newSecretAccessKey(() => Buffer.alloc(40, 255)), '/'.repeat(40));
  assert.match(newSessionToken(() => Buffer.alloc(225, 1)), /^IQoJaXJzYS1raXQ[A-Za-z0-9+/]{300}$/);
});
