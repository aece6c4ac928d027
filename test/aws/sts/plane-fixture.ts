/**
 * A running local chain for STS end-to-end tests: an HTTPS issuer for `https://oidc.irsa.local` (certificate from a
 * throwaway CA, reached through the fetcher's host map), a plane with the issuer registered as an OIDC provider, an
 * admin user, a role trusting `system:serviceaccount:default:app`, and the AWS endpoint on 127.0.0.1. Closed with
 * the test that made it.
 * @module
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { createPlane, ensureAdminUser, ensureOidcProvider, startAwsServer, type AdminCredentials, type AwsServer, type Plane } from '../../../src/aws/index.js';
import { openDatabase } from '../../../src/aws/storage/database.js';
import { createIdpFetcher, createStsService } from '../../../src/aws/sts/index.js';
import { buildIssuerDocuments, createIssuerServer, createIssuerSite, type IssuerServer, type SigningKey } from '../../../src/oidc/index.js';
import { createWebhookCertificates } from '../../../src/webhook/index.js';
import { ACCOUNT, ISSUER, newSigningKey, trustPolicy } from './helpers.js';

export const ROLE_NAME = 's3-reader';
export const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/${ROLE_NAME}`;

export interface LocalChain {
  key: SigningKey;
  plane: Plane;
  server: AwsServer;
  issuer: IssuerServer;
  /** Stops the issuer (once), as an outage would. */
  stopIssuer(): Promise<void>;
  admin: AdminCredentials;
  providerArn: string;
  dir: string;
  /** Writes a token file and returns its path. */
  tokenFile(token: string): string;
}

export async function startLocalChain(t: TestContext, o: { now?: () => Date; maxSessionDuration?: number } = {}): Promise<LocalChain> {
  const dir = mkdtempSync(join(tmpdir(), 'irsa-sts-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const key = newSigningKey('rsa');
  const certs = createWebhookCertificates({ dnsNames: ['oidc.irsa.local'], localhost: true });
  const docs = buildIssuerDocuments({ issuer: ISSUER, publicKeys: [key.publicKey] });
  const issuer = await createIssuerServer({ site: createIssuerSite(docs.issuer, docs.files), port: 0, tls: { cert: certs.cert, key: certs.key } });
  let issuerUp = true;
  const stopIssuer = async (): Promise<void> => {
    if (issuerUp) {
      issuerUp = false;
      await issuer.close();
    }
  };
  t.after(stopIssuer);
  const db = openDatabase(':memory:');
  const fetcher = createIdpFetcher({ ca: [certs.caCert], hostMap: { 'oidc.irsa.local': `127.0.0.1:${issuer.port}` } });
  const plane = createPlane({ db, accountId: ACCOUNT, ...(o.now ? { now: o.now } : {}), queryServices: [createStsService({ fetcher })] });
  const providerArn = ensureOidcProvider(plane, ISSUER, ['sts.amazonaws.com', 'openshift']);
  const admin = ensureAdminUser(plane);
  plane.iam.createRole({
    roleName: ROLE_NAME,
    roleId: 'AROAQ3EGUXVKEXAMPLE12',
    arn: ROLE_ARN,
    path: '/',
    assumeRolePolicyDocument: trustPolicy(providerArn),
    description: null,
    maxSessionDuration: o.maxSessionDuration ?? 3600,
    permissionsBoundary: null,
    tags: [],
    createDate: new Date(),
    lastUsedDate: null,
    lastUsedRegion: null,
  });
  const server = await startAwsServer({ plane, host: '127.0.0.1', port: 0 });
  t.after(async () => {
    await server.close();
    db.close();
  });
  let n = 0;
  return {
    key,
    plane,
    server,
    issuer,
    stopIssuer,
    admin,
    providerArn,
    dir,
    tokenFile(token) {
      const path = join(dir, `token-${n++}`);
      writeFileSync(path, token);
      return path;
    },
  };
}
