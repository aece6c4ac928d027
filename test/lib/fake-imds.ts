/**
 * A local stand-in for EC2 instance metadata: IMDSv2 (PUT /latest/api/token, then GETs carrying the token), with
 * switches for an IMDSv1-only instance and for one that answers every request with an error.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeImds {
  url: string;
  /** Requests seen, as `METHOD path token?` lines. */
  requests: string[];
  close(): Promise<void>;
}

export async function startFakeImds(
  document: Record<string, unknown> | string,
  options: { refuse?: boolean; v1Only?: boolean } = {},
): Promise<FakeImds> {
  const requests: string[] = [];
  const token = 'tok-123';
  const server = createServer((req, res) => {
    const given = req.headers['x-aws-ec2-metadata-token'];
    requests.push(`${req.method} ${req.url}${given ? ` ${String(given)}` : ''}`);
    if (options.refuse) {
      res.statusCode = 500;
      res.end('unavailable');
      return;
    }
    if (req.method === 'PUT' && req.url === '/latest/api/token') {
      if (options.v1Only || !req.headers['x-aws-ec2-metadata-token-ttl-seconds']) {
        res.statusCode = options.v1Only ? 404 : 400;
        res.end();
        return;
      }
      res.end(token);
      return;
    }
    if (req.method === 'GET' && req.url === '/latest/dynamic/instance-identity/document' && (options.v1Only || given === token)) {
      res.setHeader('content-type', 'text/plain');
      res.end(typeof document === 'string' ? document : JSON.stringify(document, null, 2));
      return;
    }
    res.statusCode = 401;
    res.end();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}
