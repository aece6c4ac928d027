/**
 * A server process for the S3 ListBuckets benchmark. Modes:
 *   plane <dir>        the local AWS plane with S3 (admin user created); prints {"port","accessKeyId","secretAccessKey"}
 *   bare <secret> <body-file>  a bare node:http server that verifies one SigV4 signature per request (derive the
 *                      signing key: four HMACs; canonical request hash; one HMAC) and answers a fixed body
 */
import { createServer } from 'node:http';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { aws, s3 } from './plane-modules.js';

const { createPlane, ensureAdminUser, openDatabase, startAwsServer } = aws;
const { createS3Service } = s3;

const [mode, arg1, arg2] = process.argv.slice(2);

if (mode === 'plane') {
  const db = openDatabase(join(arg1!, 'aws.sqlite'));
  const plane = createPlane({ db, dataDir: join(arg1!, 'objects'), restService: createS3Service() });
  const admin = ensureAdminUser(plane);
  const server = await startAwsServer({ plane, host: '127.0.0.1', port: 0 });
  process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
  process.stdout.write(`${JSON.stringify({ port: server.port, accessKeyId: admin.accessKeyId, secretAccessKey: admin.secretAccessKey })}\n`);
} else if (mode === 'bare') {
  const secret = arg1!;
  const body = readFileSync(arg2!);
  const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
  const server = createServer((req, res) => {
    const auth = /Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})/.exec(req.headers.authorization ?? '');
    const amzDate = req.headers['x-amz-date'];
    let ok = false;
    if (auth !== null && typeof amzDate === 'string') {
      const [, , date, region, service, signedHeaders, signature] = auth as unknown as string[];
      const names = signedHeaders!.split(';');
      const canonicalHeaders = names.map((n) => `${n}:${String(req.headers[n] ?? '').trim()}\n`).join('');
      const [path, query = ''] = (req.url ?? '/').split('?');
      const canonical = `${req.method}\n${path}\n${query}\n${canonicalHeaders}\n${signedHeaders}\n${req.headers['x-amz-content-sha256']}`;
      const sts = `AWS4-HMAC-SHA256\n${amzDate}\n${date}/${region}/${service}/aws4_request\n${createHash('sha256').update(canonical).digest('hex')}`;
      const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date!), region!), service!), 'aws4_request');
      const expected = Buffer.from(createHmac('sha256', key).update(sts).digest('hex'));
      ok = expected.length === 64 && timingSafeEqual(expected, Buffer.from(signature!));
    }
    req.resume();
    if (!ok) {
      res.writeHead(403).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/xml', 'content-length': body.length });
    res.end(body);
  });
  server.listen(0, '127.0.0.1', () => {
    process.on('SIGTERM', () => server.close(() => process.exit(0)));
    process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
  });
} else {
  throw new Error(`usage: s3-server-child.ts plane <dir> | bare <secret> <body-file> (got ${mode})`);
}
