/**
 * awsTimestamp remembers the last second it formatted: whatever order dates come in, the text is exactly
 * toISOString without the milliseconds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { awsTimestamp } from '../../src/aws/protocol/xml.js';

const reference = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

test('awsTimestamp equals toISOString without milliseconds, across seconds, repeats and odd years', () => {
  const base = Date.UTC(2026, 11, 2, 11, 30, 0);
  const times = [base, base + 1, base + 999, base + 1000, base + 999, base - 1, base - 1000, base, 0, -1, -1000, -1001, 253402300799999, 253402300800000, -62167219200001, 8.64e15, base + 3_600_000];
  for (const t of times) assert.equal(awsTimestamp(new Date(t)), reference(new Date(t)), String(t));
  assert.equal(awsTimestamp(new Date(0)), '1970-01-01T00:00:00Z');
  assert.throws(() => awsTimestamp(new Date(Number.NaN)), RangeError);
});
