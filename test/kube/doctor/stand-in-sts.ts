/**
 * A small stand-in STS for the doctor's tests (the local AWS plane is built elsewhere): AWS query protocol over
 * HTTP(S), AWS's exact XML success and ErrorResponse shapes (spec sections 1.2, 1.3, 2.8, 2.9, 3.2), and the checks
 * behind the common errors: a registered provider for `iss`, `aud` in its client IDs, `exp`, and a trust rule that
 * allows a list of `sub`s per role. The signature is not verified here (the doctor's issuer checks do that).
 * @module
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { decodeJwt } from 'jose';

const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

export interface StandInProvider {
  issuer: string;
  accountId: string;
  clientIds: string[];
}

export interface StandInRole {
  arn: string;
  /** `sub` values the trust policy allows (StringEquals). */
  subjects: string[];
}

export interface StandInStsOptions {
  providers: StandInProvider[];
  roles: StandInRole[];
  tls?: { cert: string; key: string };
  now?: () => Date;
}

export interface RecordedCall {
  action: string;
  params: Record<string, string>;
  authorization: string | undefined;
}

export interface StandInSts {
  url: string;
  calls: RecordedCall[];
  close(): Promise<void>;
}

const escapeXml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

/** AWS's query-protocol error document. */
export function errorXml(type: 'Sender' | 'Receiver', code: string, message: string, requestId: string): string {
  return `<ErrorResponse xmlns="${NS}">\n  <Error>\n    <Type>${type}</Type>\n    <Code>${code}</Code>\n    <Message>${escapeXml(message)}</Message>\n  </Error>\n  <RequestId>${requestId}</RequestId>\n</ErrorResponse>\n`;
}

function send(res: ServerResponse, status: number, body: string, requestId: string): void {
  res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const upperAlnum = (n: number): string => Array.from(randomBytes(n), (b) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[b % 32]).join('');

interface Session {
  roleArn: string;
  sessionName: string;
  roleId: string;
}

/** Starts the stand-in on 127.0.0.1 (a free port); close it in `after`. */
export async function startStandInSts(options: StandInStsOptions): Promise<StandInSts> {
  const calls: RecordedCall[] = [];
  const sessions = new Map<string, Session>();
  const now = options.now ?? (() => new Date());

  const handle = (req: IncomingMessage, body: string, res: ServerResponse): void => {
    const requestId = randomUUID();
    const params = Object.fromEntries(new URLSearchParams(body));
    const action = params.Action ?? '';
    calls.push({ action, params, authorization: req.headers.authorization });
    const error = (status: number, code: string, message: string): void => send(res, status, errorXml(status >= 500 ? 'Receiver' : 'Sender', code, message, requestId), requestId);

    if (action === 'AssumeRoleWithWebIdentity') {
      const token = params.WebIdentityToken ?? '';
      let claims: Record<string, unknown>;
      try {
        claims = decodeJwt(token) as Record<string, unknown>;
      } catch {
        return error(400, 'InvalidIdentityToken', 'The ID Token provided is not a valid JWT.');
      }
      const iss = String(claims.iss);
      const roleAccount = (params.RoleArn ?? '').split(':')[4];
      const provider = options.providers.find((p) => p.issuer === iss && p.accountId === roleAccount);
      if (provider === undefined) return error(400, 'InvalidIdentityToken', `No OpenIDConnect provider found in your account for ${iss}`);
      if (claims.aud === undefined) return error(400, 'InvalidIdentityToken', 'Missing a required claim: aud');
      const aud = Array.isArray(claims.aud) ? claims.aud.map(String) : [String(claims.aud)];
      if (!aud.some((a) => provider.clientIds.includes(a))) return error(400, 'InvalidIdentityToken', 'Incorrect token audience');
      const nowS = Math.floor(now().getTime() / 1000);
      if (typeof claims.exp === 'number' && claims.exp < nowS - 300) {
        return error(400, 'ExpiredTokenException', `Token expired: current date/time ${nowS} must be before the expiration date/time${claims.exp}`);
      }
      const role = options.roles.find((r) => r.arn === params.RoleArn);
      if (role === undefined || !role.subjects.includes(String(claims.sub))) return error(403, 'AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity');
      const [, , , , account, resource] = role.arn.split(':') as [string, string, string, string, string, string];
      const roleName = resource.split('/').pop()!;
      const sessionName = params.RoleSessionName ?? '';
      const roleId = `AROA${upperAlnum(17)}`;
      const keyId = `ASIA${upperAlnum(16)}`;
      sessions.set(keyId, { roleArn: role.arn, sessionName, roleId });
      const expiration = new Date(Math.floor(now().getTime() / 1000) * 1000 + 3600_000).toISOString().replace('.000Z', 'Z');
      const hostPath = iss.replace(/^https:\/\//, '').replace(/\/+$/, '');
      return send(res, 200, `<AssumeRoleWithWebIdentityResponse xmlns="${NS}">
  <AssumeRoleWithWebIdentityResult>
    <Credentials>
      <AccessKeyId>${keyId}</AccessKeyId>
      <SecretAccessKey>${randomBytes(30).toString('base64')}</SecretAccessKey>
      <SessionToken>IQoJb3JpZ2luX2Vj${randomBytes(120).toString('base64')}</SessionToken>
      <Expiration>${expiration}</Expiration>
    </Credentials>
    <SubjectFromWebIdentityToken>${escapeXml(String(claims.sub))}</SubjectFromWebIdentityToken>
    <AssumedRoleUser>
      <AssumedRoleId>${roleId}:${escapeXml(sessionName)}</AssumedRoleId>
      <Arn>arn:aws:sts::${account}:assumed-role/${roleName}/${escapeXml(sessionName)}</Arn>
    </AssumedRoleUser>
    <Provider>arn:aws:iam::${account}:oidc-provider/${escapeXml(hostPath)}</Provider>
    <Audience>${escapeXml(aud[0]!)}</Audience>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata>
    <RequestId>${requestId}</RequestId>
  </ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>
`, requestId);
    }
    if (action === 'GetCallerIdentity') {
      const keyId = /Credential=([^/]+)\//.exec(req.headers.authorization ?? '')?.[1];
      if (keyId === undefined) return error(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
      const session = sessions.get(keyId);
      if (session === undefined || req.headers['x-amz-security-token'] === undefined) return error(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
      const [, , , , account, resource] = session.roleArn.split(':') as [string, string, string, string, string, string];
      return send(res, 200, `<GetCallerIdentityResponse xmlns="${NS}">
  <GetCallerIdentityResult>
    <Arn>arn:aws:sts::${account}:assumed-role/${resource.split('/').pop()}/${escapeXml(session.sessionName)}</Arn>
    <UserId>${session.roleId}:${escapeXml(session.sessionName)}</UserId>
    <Account>${account}</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata>
    <RequestId>${requestId}</RequestId>
  </ResponseMetadata>
</GetCallerIdentityResponse>
`, requestId);
    }
    return error(400, 'InvalidAction', `Could not find operation ${action} for version 2011-06-15`);
  };

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, Buffer.concat(chunks).toString('utf8'), res));
  };
  const server: Server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, listener) : createHttpServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}
