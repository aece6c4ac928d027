/**
 * Identifiers draw one alphabet character per random byte (byte modulo the alphabet's size), so a seeded source
 * gives the same ids: pinned here against the definition.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newAccessKeyId, newSecretAccessKey, newSessionToken, sessionAccessKeyId, sessionSerialOf, SESSION_SERIAL_LIMIT } from '../../src/aws/ids.js';

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const SECRET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const byDefinition = (bytes: Uint8Array, alphabet: string): string => [...bytes].map((b) => alphabet[b % alphabet.length]).join('');

test('ids map each random byte to alphabet[byte % size], for every byte value', () => {
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 7 + 3) % 256));
  for (let at = 0; at + 40 <= 256; at += 8) {
    const bytes = all.subarray(at, at + 40);
    assert.equal(newSecretAccessKey(() => bytes), byDefinition(bytes, SECRET));
    assert.equal(sessionAccessKeyId(0, () => bytes.subarray(0, 6)), `ASIAAAAAAAAAAA${byDefinition(bytes.subarray(0, 6), UPPER)}`);
    assert.equal(newAccessKeyId(() => bytes.subarray(0, 16)), `AKIA${byDefinition(bytes.subarray(0, 16), UPPER)}`);
  }
  assert.equal(newSecretAccessKey(() => Buffer.alloc(40, 255)), '/'.repeat(40));
  assert.match(newSessionToken(() => Buffer.alloc(225, 1)), /^IQoJaXJzYS1raXQ[A-Za-z0-9+/]{300}$/);
});

test('a session key carries its serial in base32 after ASIA, then 6 random characters; the serial reads back', () => {
  const random = () => Buffer.from([0, 1, 2, 3, 4, 31]);
  assert.equal(sessionAccessKeyId(1, random), 'ASIAAAAAAAAAABABCDE7');
  assert.equal(sessionAccessKeyId(32, random), 'ASIAAAAAAAAABAABCDE7');
  assert.equal(sessionAccessKeyId(SESSION_SERIAL_LIMIT - 1, random), 'ASIA7777777777ABCDE7');
  for (const serial of [0, 1, 31, 32, 1023, 2 ** 32 + 5, 123_456_789_012_345, SESSION_SERIAL_LIMIT - 1]) {
    const key = sessionAccessKeyId(serial, () => Buffer.from([9, 8, 7, 6, 5, 4]));
    assert.match(key, /^ASIA[A-Z2-7]{16}$/);
    assert.equal(sessionSerialOf(key), serial);
  }
  for (const bad of [-1, 0.5, SESSION_SERIAL_LIMIT, Number.NaN]) assert.throws(() => sessionAccessKeyId(bad, random), RangeError);
});

test('sessionSerialOf refuses what is not ASIA + 16 base32 characters', () => {
  for (const key of ['', 'ASIA', 'AKIAAAAAAAAAABABCDE7', 'ASIAAAAAAAAAABABCDE', 'ASIAAAAAAAAAABABCDE77', 'ASIAAAAAAAAAABABCDE1', 'ASIAaaaaaaaaabaBCDE7', 'ASIAAAAAAAAAAB%BCDE7']) {
    assert.equal(sessionSerialOf(key), undefined, key);
  }
});
