/**
 * The plane's HTTP listener as an attacker and a keep-alive client see it, over raw sockets: requests without a
 * body are answered at once and the connection serves the next one; bodies are read whole (length-delimited or
 * chunked); a body over the bound is 413 RequestEntityTooLarge and the connection is closed, whether the client
 * declared its length or not.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import test, { type TestContext } from 'node:test';
import { createPlane, openDatabase, startAwsServer } from '../../src/aws/index.js';

async function listener(t: TestContext, maxBodyBytes = 1024) {
  const db = openDatabase(':memory:');
  const plane = createPlane({ db, accountId: '111122223333' });
  const server = await startAwsServer({ plane, host: '127.0.0.1', port: 0, maxBodyBytes });
  t.after(async () => {
    await server.close();
    db.close();
  });
  return server.port;
}

/** Sends raw bytes; resolves with everything the server sent until it closed or `until` matched. */
function exchange(port: number, bytes: string, until?: (received: string) => boolean): Promise<{ text: string; closed: boolean; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (until?.(text)) resolve({ text, closed: false, socket });
    });
    socket.on('close', () => resolve({ text, closed: true, socket }));
    socket.on('error', reject);
    socket.write(bytes);
  });
}

/** Status lines (a response's body ends without a newline, so the next one follows on the same line). */
const responses = (text: string) => (text.match(/HTTP\/1\.1 \d{3}(?= )/g) ?? []);

test('two pipelined requests without a body on one keep-alive connection get two answers, in order', async (t) => {
  const port = await listener(t);
  const request = (action: string) => `GET /?Action=${action}&Version=2010-05-08 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
  const { text, socket } = await exchange(port, request('GetRole') + request('NoSuchThing'), (r) => responses(r).length === 2 && r.endsWith('</ErrorResponse>'));
  socket.destroy();
  assert.deepEqual(responses(text), ['HTTP/1.1 403', 'HTTP/1.1 400']);
  assert.match(text, /<Code>MissingAuthenticationToken<\/Code>/);
  assert.match(text, /<Code>InvalidAction<\/Code><Message>Could not find operation NoSuchThing for version 2010-05-08<\/Message>/);
});

test('a form body is read whole, length-delimited or chunked, before the action is routed', async (t) => {
  const port = await listener(t);
  const form = 'Action=NoSuchThing&Version=2010-05-08';
  const lengthDelimited = `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${form.length}\r\nConnection: close\r\n\r\n${form}`;
  const chunked = `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${(10).toString(16)}\r\n${form.slice(0, 10)}\r\n${(form.length - 10).toString(16)}\r\n${form.slice(10)}\r\n0\r\n\r\n`;
  for (const raw of [lengthDelimited, chunked]) {
    const { text } = await exchange(port, raw);
    assert.match(text, /^HTTP\/1\.1 400/);
    assert.match(text, /Could not find operation NoSuchThing for version 2010-05-08/);
  }
});

test('attack: a body over the bound is 413 RequestEntityTooLarge and the connection closes, declared or chunked', async (t) => {
  const port = await listener(t, 1024);
  const declared = await exchange(port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 5000\r\n\r\n');
  assert.match(declared.text, /^HTTP\/1\.1 413/);
  assert.match(declared.text, /<Code>RequestEntityTooLarge<\/Code>/);
  assert.equal(declared.closed, true);
  const chunk = 'a'.repeat(600);
  const chunked = await exchange(port, `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n${(600).toString(16)}\r\n${chunk}\r\n${(600).toString(16)}\r\n${chunk}\r\n`);
  assert.match(chunked.text, /^HTTP\/1\.1 413/);
  assert.equal(chunked.closed, true);
});
