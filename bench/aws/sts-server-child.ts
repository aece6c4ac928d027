/**
 * STS benchmark server process. `plane PUBKEY_FILE`: the AWS plane (in-memory SQLite) with the local issuer registered
 * as an OIDC provider, a role `bench` trusting `system:serviceaccount:default:app`, and STS's JWKS cache fed by an
 * in-process issuer (fetched once, then cached by max-age). `bare PUBKEY_FILE`: a bare node:http server that, per
 * request, reads the form body, does one RS256 verification of `WebIdentityToken` and answers a fixed body — the floor
 * for any server that verifies the token. Prints one JSON line: `{ port }`.
 */
import { createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { aws, oidc, sts } from './plane-modules.js';

const { createPlane, ensureOidcProvider, openDatabase, startAwsServer } = aws;
const { createStsService, JwksCache } = sts;
const { buildIssuerDocuments } = oidc;

const [mode, keyFile] = process.argv.slice(2) as ['plane' | 'bare', string];
const publicKey = createPublicKey(readFileSync(keyFile, 'utf8'));
const ISSUER = 'https://oidc.irsa.local';

if (mode === 'plane') {
  const docs = buildIssuerDocuments({ issuer: ISSUER, publicKeys: [publicKey] });
  const fetcher = {
    get: (url: string) => {
      const file = docs.files.find((f) => url === `${ISSUER}/${f.path}`);
      return Promise.resolve(file === undefined ? { kind: 'response' as const, status: 404, cacheControl: undefined, body: '' } : { kind: 'response' as const, status: 200, cacheControl: 'public, max-age=3600', body: file.body });
    },
  };
  const plane = createPlane({ db: openDatabase(':memory:'), accountId: '111122223333' });
  plane.registerQueryService(createStsService({ keys: new JwksCache({ fetcher, now: Date.now }) })(plane));
  const providerArn = ensureOidcProvider(plane, ISSUER, ['sts.amazonaws.com']);
  plane.iam.createRole({
    roleName: 'bench', roleId: 'AROABENCHBENCHBENCH01', arn: 'arn:aws:iam::111122223333:role/bench', path: '/',
    assumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Federated: providerArn }, Action: 'sts:AssumeRoleWithWebIdentity', Condition: { StringEquals: { 'oidc.irsa.local:sub': 'system:serviceaccount:default:app', 'oidc.irsa.local:aud': 'sts.amazonaws.com' } } }] }),
    description: null, maxSessionDuration: 3600, permissionsBoundary: null, tags: [], createDate: new Date(), lastUsedDate: null, lastUsedRegion: null,
  });
  const server = await startAwsServer({ plane, host: '127.0.0.1', port: 0 });
  process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
  process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
} else {
  const body = Buffer.from('<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult/></AssumeRoleWithWebIdentityResponse>');
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const token = new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('WebIdentityToken') ?? '';
      const dot = token.lastIndexOf('.');
      const ok = dot > 0 && verify('sha256', Buffer.from(token.slice(0, dot)), publicKey, Buffer.from(token.slice(dot + 1), 'base64url'));
      res.writeHead(ok ? 200 : 403, { 'content-type': 'text/xml', 'content-length': body.length });
      res.end(body);
    });
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
