/**
 * createLogger: JSON lines by default, readable text on request, into the destination given.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from '../../src/lib/log.js';

function sink(): { stream: PassThrough; text(): string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  return { stream, text: () => text };
}

test('json format writes one JSON line per entry into a stream destination', () => {
  const out = sink();
  const logger = createLogger({ format: 'json', destination: out.stream, name: 'irsa-test' });
  logger.info({ port: 8443 }, 'listening');
  const entry = JSON.parse(out.text().trim()) as Record<string, unknown>;
  assert.equal(entry.msg, 'listening');
  assert.equal(entry.port, 8443);
  assert.equal(entry.name, 'irsa-test');
});

test('text format writes readable lines into a stream destination, not to stderr', async () => {
  const out = sink();
  const logger = createLogger({ format: 'text', destination: out.stream, name: 'irsa-test' });
  logger.warn({ port: 8443 }, 'listening');
  await new Promise((resolve) => setImmediate(resolve));
  assert.match(out.text(), /WARN.*\(irsa-test\): listening/);
  assert.match(out.text(), /port: 8443/);
  assert.doesNotMatch(out.text(), /^\{/, 'text, not JSON');
});
