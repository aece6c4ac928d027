/**
 * The AWS plane inside `irsa up`: its database and object folder in the state directory, the first-start
 * bootstrap (the issuer as an IAM OIDC provider, an admin user with an access key), the HTTP listener and the
 * optional HTTPS listener with a certificate from the state directory's local CA for AWS's own names, and the
 * lines `irsa up` prints and writes to STATE_DIR/env. Kept apart from up.ts so the two change independently.
 * @module
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { issuerHostPath } from '../lib/aws-arn.js';
import type { Logger } from '../lib/log.js';
import { ENV_ACCESS_KEY_ID, ENV_CA_BUNDLE, ENV_DEFAULT_REGION, ENV_ENDPOINT_URL, ENV_SECRET_ACCESS_KEY, STS_AUDIENCE, STS_GLOBAL_HOST } from '../lib/wire-names.js';
import { createS3Service } from '../aws/s3/index.js';
import { createPlane, ensureAdminUser, ensureOidcProvider, openDatabase, startAwsServer, type AwsServer, type Plane } from '../aws/index.js';
import { createWebhookCertificates, WEBHOOK_CERT_FILES } from '../webhook/index.js';

/** Client ids the local issuer's provider trusts on first start: EKS's audience and OpenShift operators'. */
export const DEFAULT_PROVIDER_CLIENT_IDS = [STS_AUDIENCE, 'openshift'] as const;

/** Where the plane keeps its state, under the state directory. */
export const AWS_STATE = { dir: 'aws', database: 'aws.sqlite', objects: 'objects', tlsCert: 'aws.crt', tlsKey: 'aws.key' } as const;

/** AWS's names the HTTPS certificate is valid for, so old SDKs work through a hosts-file entry. */
export function awsTlsNames(region: string): string[] {
  return [
    STS_GLOBAL_HOST,
    `sts.${region}.amazonaws.com`,
    'iam.amazonaws.com',
    's3.amazonaws.com',
    `s3.${region}.amazonaws.com`,
    '*.s3.amazonaws.com',
    `*.s3.${region}.amazonaws.com`,
  ];
}

export interface AwsPlaneOptions {
  stateDir: string;
  host: string;
  port: number;
  /** HTTPS port, or undefined for none. */
  tlsPort: number | undefined;
  accountId: string;
  region: string;
  /** The issuer tokens carry (registered as the OIDC provider). */
  issuer: string;
  /** Where the issuer is served locally (STS fetches its keys there). */
  issuerUrl: string;
  /** The state directory's TLS folder (local CA `ca.crt`/`ca.key`). */
  tlsDir: string;
  logger: Logger;
}

export interface RunningAwsPlane {
  plane: Plane;
  url: string;
  tlsUrl: string | undefined;
  providerArn: string;
  /** `oidc.irsa.local` — trust policies write `<prefix>:sub` and `<prefix>:aud`. */
  conditionKeyPrefix: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** CA that signed the HTTPS certificate (for AWS_CA_BUNDLE), when TLS is on. */
  caBundle: string | undefined;
  databasePath: string;
  stop(): Promise<void>;
}

const ANY_ADDRESS = new Set(['0.0.0.0', '::']);

async function ensureAwsCertificate(tlsDir: string, region: string, host: string): Promise<{ cert: Buffer; key: Buffer; ca: string }> {
  const certPath = join(tlsDir, AWS_STATE.tlsCert);
  const keyPath = join(tlsDir, AWS_STATE.tlsKey);
  const caPath = join(tlsDir, WEBHOOK_CERT_FILES.caCert);
  if (!existsSync(certPath) || !existsSync(keyPath)) {
    const ca = { cert: await readFile(caPath, 'utf8'), key: await readFile(join(tlsDir, WEBHOOK_CERT_FILES.caKey), 'utf8') };
    const extraHost = ANY_ADDRESS.has(host) || host === '127.0.0.1' || host === '::1' || host === 'localhost' ? [] : [host];
    const certs = createWebhookCertificates({ ca, localhost: true, dnsNames: [...awsTlsNames(region), ...extraHost.filter((h) => !/^[\d.:]+$/.test(h))], ipAddresses: extraHost.filter((h) => /^[\d.:]+$/.test(h)) });
    await writeFile(certPath, certs.cert, { mode: 0o644 });
    await writeFile(keyPath, certs.key, { mode: 0o600 });
    await chmod(keyPath, 0o600);
  }
  return { cert: await readFile(certPath), key: await readFile(keyPath), ca: caPath };
}

/**
 * Opens (or creates) the plane in the state directory, bootstraps it, and starts its listener(s).
 * @example
 * const aws = await startAwsPlane({ stateDir, host, port: 4566, tlsPort: undefined, accountId, region, issuer, issuerUrl, tlsDir, logger });
 */
export async function startAwsPlane(options: AwsPlaneOptions): Promise<RunningAwsPlane> {
  const dir = join(options.stateDir, AWS_STATE.dir);
  await mkdir(join(dir, AWS_STATE.objects), { recursive: true, mode: 0o700 });
  const databasePath = join(dir, AWS_STATE.database);
  const db = openDatabase(databasePath);
  let server: AwsServer | undefined;
  try {
    const plane = createPlane({
      db,
      accountId: options.accountId,
      region: options.region,
      dataDir: join(dir, AWS_STATE.objects),
      logger: options.logger,
      restService: createS3Service(),
      issuerEndpoints: { [options.issuer]: options.issuerUrl },
      issuerCaFiles: [join(options.tlsDir, WEBHOOK_CERT_FILES.caCert)],
    });
    const providerArn = ensureOidcProvider(plane, options.issuer, DEFAULT_PROVIDER_CLIENT_IDS);
    const admin = ensureAdminUser(plane);
    const tls = options.tlsPort === undefined ? undefined : await ensureAwsCertificate(options.tlsDir, options.region, options.host);
    server = await startAwsServer({
      plane,
      host: options.host,
      port: options.port,
      ...(tls === undefined ? {} : { tls: { cert: tls.cert, key: tls.key, port: options.tlsPort! } }),
    });
    const urlHost = ANY_ADDRESS.has(options.host) ? '127.0.0.1' : options.host.includes(':') ? `[${options.host}]` : options.host;
    const running = server;
    return {
      plane,
      url: `http://${urlHost}:${server.port}`,
      tlsUrl: server.tlsPort === undefined ? undefined : `https://${urlHost}:${server.tlsPort}`,
      providerArn,
      conditionKeyPrefix: issuerHostPath(options.issuer),
      accessKeyId: admin.accessKeyId,
      secretAccessKey: admin.secretAccessKey,
      caBundle: tls?.ca,
      databasePath,
      async stop() {
        await running.close();
        db.close();
      },
    };
  } catch (err) {
    await server?.close();
    db.close();
    throw err;
  }
}

/** The `export …` lines for STATE_DIR/env: the endpoint, the admin key, the region (and the CA with TLS). */
export function awsEnvLines(aws: RunningAwsPlane, region: string, stateDir: string): string[] {
  return [
    `export IRSA_STATE_DIR=${stateDir}`,
    `export ${ENV_ENDPOINT_URL}=${aws.url}`,
    `export ${ENV_ACCESS_KEY_ID}=${aws.accessKeyId}`,
    `export ${ENV_SECRET_ACCESS_KEY}=${aws.secretAccessKey}`,
    `export ${ENV_DEFAULT_REGION}=${region}`,
    ...(aws.caBundle === undefined ? [] : [`export ${ENV_CA_BUNDLE}=${aws.caBundle}`]),
  ];
}

/** The lines `irsa up` prints about the plane. */
export function awsSummaryLines(aws: RunningAwsPlane): string[] {
  return [
    `  aws        ${aws.url}  (${aws.plane.serviceNames().join(', ')}; AWS_ENDPOINT_URL)`,
    ...(aws.tlsUrl === undefined ? [] : [`             ${aws.tlsUrl}  (HTTPS for sts/iam/s3.amazonaws.com names; CA ${aws.caBundle})`]),
    `  provider   ${aws.providerArn}`,
    `             trust-policy condition keys: ${aws.conditionKeyPrefix}:sub, ${aws.conditionKeyPrefix}:aud`,
    `  admin key  ${aws.accessKeyId}  (in the env file; allowed everything)`,
  ];
}
