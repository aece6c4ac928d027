/**
 * The doctor tests' world: a signing key, an issuer served over HTTP from src/oidc (the token's `iss` is an https
 * name, the documents are fetched from 127.0.0.1 through an issuer location), a stand-in STS that trusts the issuer,
 * and tokens minted by src/oidc. Everything is closed after the test file.
 * @module
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after } from 'node:test';
import {
  buildIssuerDocuments,
  createIssuerServer,
  createIssuerSite,
  createSigningKey,
  exportPrivateKeyPem,
  generateSigningKeyPair,
  mintServiceAccountToken,
  type MintServiceAccountTokenOptions,
  type SigningKey,
} from '../../../src/oidc/index.js';
import { tempDir } from '../../oidc/helpers.js';
import { startStandInSts, type StandInSts } from './stand-in-sts.js';

export const ISSUER = 'https://oidc.doctor.test/cluster-1';
export const ACCOUNT = '111122223333';
export const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/s3-reader`;
export const SUBJECT = 'system:serviceaccount:my-project:test-service-account';

export interface World {
  dir: string;
  key: SigningKey;
  keyFile: string;
  issuerUrl: string;
  sts: StandInSts;
  /** Mints a token (defaults: the world's issuer, my-project/test-service-account, aud sts.amazonaws.com). */
  mint(overrides?: Partial<MintServiceAccountTokenOptions>): Promise<string>;
  /** Writes a token to a file in the world's directory and returns its path. */
  tokenFile(token: string, name?: string): string;
  /** The env a mutated pod's container has, pointing at the stand-in STS. */
  env(tokenPath: string, extra?: Record<string, string>): Record<string, string>;
}

/** Starts the world; closed after the test file. */
export async function startWorld(options: { stsTls?: { cert: string; key: string } } = {}): Promise<World> {
  const dir = tempDir('irsa-doctor-');
  const key = createSigningKey(generateSigningKeyPair({ type: 'ec' }).privateKey);
  const keyFile = join(dir, 'sa-signer.key');
  writeFileSync(keyFile, exportPrivateKeyPem(key.privateKey), { mode: 0o600 });
  const docs = buildIssuerDocuments({ issuer: ISSUER, publicKeys: [key.publicKey] });
  const issuer = await createIssuerServer({ site: createIssuerSite(docs.issuer, docs.files) });
  after(() => issuer.close());
  const sts = await startStandInSts({
    providers: [{ issuer: ISSUER, accountId: ACCOUNT, clientIds: ['sts.amazonaws.com'] }],
    roles: [{ arn: ROLE_ARN, subjects: [SUBJECT] }],
    ...(options.stsTls ? { tls: options.stsTls } : {}),
  });
  after(() => sts.close());
  let n = 0;
  return {
    dir,
    key,
    keyFile,
    issuerUrl: `${issuer.url}/cluster-1`,
    sts,
    async mint(overrides = {}) {
      const minted = await mintServiceAccountToken({
        signingKey: key,
        issuer: ISSUER,
        namespace: 'my-project',
        serviceAccountName: 'test-service-account',
        audiences: ['sts.amazonaws.com'],
        expirationSeconds: 86400,
        pod: { name: 'awsboto3sdk', uid: '0a0b0c0d-0000-4000-8000-000000000001' },
        ...overrides,
      });
      return minted.token;
    },
    tokenFile(token, name = `token-${n++}`) {
      const path = join(dir, name);
      writeFileSync(path, token);
      return path;
    },
    env(tokenPath, extra = {}) {
      return {
        AWS_ROLE_ARN: ROLE_ARN,
        AWS_WEB_IDENTITY_TOKEN_FILE: tokenPath,
        AWS_REGION: 'us-east-1',
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_STS_REGIONAL_ENDPOINTS: 'regional',
        AWS_ENDPOINT_URL_STS: sts.url,
        ...extra,
      };
    },
  };
}
