/**
 * Benchmark server process. `plane DIR`: the AWS plane on a SQLite file in DIR, with an admin key and a role `bench`;
 * `bare SECRET`: a bare node:http server that, per request, reads the body, recomputes one SigV4 signature (key
 * derivation, canonical request hash, final HMAC), compares it, and answers a fixed body: the floor for any server
 * that verifies SigV4. Prints one JSON line: `{ port, accessKeyId, secretAccessKey }`.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { aws } from './plane-modules.js';

const { createPlane, ensureAdminUser, openDatabase, startAwsServer } = aws;

const [mode, arg] = process.argv.slice(2) as ['plane' | 'bare', string];

if (mode === 'plane') {
  const plane = createPlane({ db: openDatabase(join(arg, 'aws.sqlite')), accountId: '111122223333' });
  const admin = ensureAdminUser(plane);
  plane.iam.createRole({
    roleName: 'bench', roleId: 'AROABENCHBENCHBENCH01', arn: 'arn:aws:iam::111122223333:role/bench', path: '/',
    assumeRolePolicyDocument: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}',
    description: null, maxSessionDuration: 3600, permissionsBoundary: null, tags: [], createDate: new Date(), lastUsedDate: null, lastUsedRegion: null,
  });
  const server = await startAwsServer({ plane, host: '127.0.0.1', port: 0 });
  process.stdout.write(`${JSON.stringify({ port: server.port, accessKeyId: admin.accessKeyId, secretAccessKey: admin.secretAccessKey })}\n`);
  process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
} else {
  const secret = arg;
  const body = Buffer.from('<GetRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetRoleResult/></GetRoleResponse>');
  const hmac = (k: Buffer | string, d: string) => createHmac('sha256', k).update(d).digest();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const auth = /Credential=[^/]+\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})/.exec(req.headers.authorization ?? '');
      if (auth === null) {
        res.writeHead(403).end();
        return;
      }
      const [, date, region, service, signed, signature] = auth as unknown as [string, string, string, string, string, string];
      const names = signed.split(';');
      const canonicalHeaders = names.map((n) => `${n}:${String(req.headers[n] ?? '').trim()}\n`).join('');
      const payload = createHash('sha256').update(Buffer.concat(chunks)).digest('hex');
      const creq = `${req.method}\n/\n\n${canonicalHeaders}\n${signed}\n${payload}`;
      const amzDate = String(req.headers['x-amz-date']);
      const sts = `AWS4-HMAC-SHA256\n${amzDate}\n${date}/${region}/${service}/aws4_request\n${createHash('sha256').update(creq).digest('hex')}`;
      const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
      const ok = timingSafeEqual(Buffer.from(hmac(key, sts).toString('hex')), Buffer.from(signature));
      res.writeHead(ok ? 200 : 403, { 'content-type': 'text/xml', 'content-length': body.length });
      res.end(body);
    });
  });
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port, accessKeyId: 'AKIABARE', secretAccessKey: secret })}\n`);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
