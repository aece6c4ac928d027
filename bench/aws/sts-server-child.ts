/**
 * STS benchmark server process. `plane PUBKEY_FILE`: the AWS plane (in-memory SQLite) with the local issuer registered
 * as an OIDC provider, a role `bench` trusting `system:serviceaccount:default:app`, and STS's JWKS cache fed by an
 * in-process issuer (fetched once, then cached by max-age). `bare PUBKEY_FILE`: a bare node:http server that, per
 * request, reads the form body, does one RS256 verification of `WebIdentityToken` and answers a fixed body of a real
 * answer's size — the floor for any server that verifies the token and answers; `bare-small`: the same with a
 * 150-byte body. Prints one JSON line: `{ port }`.
 */
import { createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { aws, oidc, sts } from './plane-modules.js';

const { createPlane, ensureOidcProvider, openDatabase, startAwsServer } = aws;
const { createStsService, JwksCache } = sts;
const { buildIssuerDocuments } = oidc;

const [mode, keyFile] = process.argv.slice(2) as ['plane' | 'bare' | 'bare-small', string];
const REQUEST_ID = 'c6104cbe-af31-11e0-8154-cbc7ccf896c7';
const SMALL_BODY = '<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult/></AssumeRoleWithWebIdentityResponse>';
/** AWS's answer with the plane's field sizes (a 300-character session token), fixed. */
const AWS_SIZED_BODY =
  '<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult>' +
  `<Credentials><AccessKeyId>ASIAAAAAAAAAAAEXAMPL</AccessKeyId><SecretAccessKey>${'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'}</SecretAccessKey>` +
  `<SessionToken>IQoJaXJzYS1raXQ${'A'.repeat(300)}</SessionToken><Expiration>2026-12-06T21:00:00Z</Expiration></Credentials>` +
  '<SubjectFromWebIdentityToken>system:serviceaccount:default:app</SubjectFromWebIdentityToken>' +
  '<AssumedRoleUser><AssumedRoleId>AROABENCHBENCHBENCH01:bench</AssumedRoleId><Arn>arn:aws:sts::111122223333:assumed-role/bench/bench</Arn></AssumedRoleUser>' +
  '<Provider>arn:aws:iam::111122223333:oidc-provider/oidc.irsa.local</Provider><Audience>sts.amazonaws.com</Audience>' +
  `</AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>${REQUEST_ID}</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`;
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
  // `bare`: a fixed answer of the size and headers of a real one (what any server answering the call must send);
  // `bare-small`: a fixed 150-byte body, the floor of earlier runs
  const body = Buffer.from(mode === 'bare-small' ? SMALL_BODY : AWS_SIZED_BODY);
  const headers = mode === 'bare-small' ? { 'content-type': 'text/xml', 'content-length': body.length } : { 'content-type': 'text/xml', 'x-amzn-RequestId': REQUEST_ID, 'content-length': body.length };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const token = new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('WebIdentityToken') ?? '';
      const dot = token.lastIndexOf('.');
      const ok = dot > 0 && verify('sha256', Buffer.from(token.slice(0, dot)), publicKey, Buffer.from(token.slice(dot + 1), 'base64url'));
      res.writeHead(ok ? 200 : 403, headers);
      res.end(body);
    });
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
