/**
 * Helpers the benchmarks share for the servers they run as child processes.
 * @module
 */
import type { ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';

/** Resolves with the first line a child prints on stdout (its port, or a JSON handshake). */
export function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    child.once('exit', (code) => reject(new Error(`child exited ${code} before answering`)));
  });
}

/** A loopback port that was free a moment ago (for servers that take a port on their command line). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves with the admission port once a spawned `irsa webhook --log-format=json` logs `webhook listening`. */
export function webhookListeningPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
      const line = err.split('\n').find((l) => l.includes('"msg":"webhook listening"'));
      const m = line === undefined ? null : /"port":(\d+)/.exec(line);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`irsa webhook exited ${code}: ${err.slice(-500)}`)));
  });
}
