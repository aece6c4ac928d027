/**
 * TLS material for the webhook without cert-manager: a private CA and a serving certificate for the Service's DNS
 * names (what the API server dials), plus `127.0.0.1`/`localhost` for local runs. Keys come from `node:crypto`
 * (RSA 2048, PKCS#8); the X.509 structures are built and signed with node-forge, because `node:crypto` can read
 * certificates but not create them.
 * @module
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { writeFileAtomic } from '../lib/atomic-file.js';
import { assertPemKeyStrength, MIN_RSA_BITS } from '../oidc/keys.js';
import { join } from 'node:path';
import forge from 'node-forge';

/** Default Service name, as upstream's `--service-name`. */
export const DEFAULT_WEBHOOK_SERVICE_NAME = 'pod-identity-webhook';
/** Namespace of irsa-kit's deploy/ manifests. */
export const DEFAULT_WEBHOOK_NAMESPACE = 'pod-identity-webhook';

export interface CreateWebhookCertificatesOptions {
  /** Service name (default `pod-identity-webhook`). */
  serviceName?: string;
  /** Service namespace (default `pod-identity-webhook`, the namespace of deploy/). */
  namespace?: string;
  /** Serving certificate lifetime in days (default 365). The CA lives 10 years or `days`, whichever is longer. */
  days?: number;
  /** Extra DNS names for the serving certificate. */
  dnsNames?: string[];
  /** IP addresses for the serving certificate. */
  ipAddresses?: string[];
  /** Adds `localhost`, `127.0.0.1` and `::1` (for `irsa up` and local tests). */
  localhost?: boolean;
  /** An existing CA to sign with (PEMs) instead of creating one, e.g. to renew only the serving certificate. */
  ca?: { cert: string; key: string };
  /** RSA modulus length (default 2048). */
  keyBits?: number;
  /** Clock (default now). */
  now?: Date;
}

/** PEM-encoded CA and serving pair; `caBundle` is the base64 of `caCert`, as `clientConfig.caBundle` wants it. */
export interface WebhookCertificates {
  caCert: string;
  caKey: string;
  cert: string;
  key: string;
  caBundle: string;
  /** The DNS names and IPs in the serving certificate. */
  dnsNames: string[];
  ipAddresses: string[];
}

/**
 * The names the API server uses for a Service: `svc`, `svc.ns`, `svc.ns.svc`, `svc.ns.svc.cluster.local`.
 * @example
 * serviceDnsNames('pod-identity-webhook', 'eks'); // ['pod-identity-webhook', 'pod-identity-webhook.eks', …]
 */
export function serviceDnsNames(serviceName: string, namespace: string): string[] {
  return [serviceName, `${serviceName}.${namespace}`, `${serviceName}.${namespace}.svc`, `${serviceName}.${namespace}.svc.cluster.local`];
}

function newKeyPair(bits: number): { pem: string; forgeKey: forge.pki.rsa.PrivateKey; forgePublic: forge.pki.rsa.PublicKey } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const forgeKey = forge.pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey;
  return { pem, forgeKey, forgePublic: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e) };
}

/** node-forge writes CRLF; Kubernetes tooling and diffs expect LF. */
function toLf(pem: string): string {
  return pem.replace(/\r\n/g, '\n');
}

function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f; // positive INTEGER
  return bytes.toString('hex');
}

function validity(cert: forge.pki.Certificate, now: Date, days: number): void {
  cert.validity.notBefore = new Date(now.getTime() - 5 * 60_000); // tolerate a little clock skew
  cert.validity.notAfter = new Date(now.getTime() + days * 86_400_000);
}

/**
 * Creates a CA (or uses `options.ca`) and a serving certificate for the webhook Service.
 * @example
 * const certs = createWebhookCertificates({ serviceName: 'pod-identity-webhook', namespace: 'eks', localhost: true });
 * https.createServer({ cert: certs.cert, key: certs.key }, handler);
 */
export function createWebhookCertificates(options: CreateWebhookCertificatesOptions = {}): WebhookCertificates {
  const serviceName = options.serviceName ?? DEFAULT_WEBHOOK_SERVICE_NAME;
  const namespace = options.namespace ?? DEFAULT_WEBHOOK_NAMESPACE;
  const days = options.days ?? 365;
  if (!Number.isInteger(days) || days < 1) throw new TypeError(`days must be a positive integer, got ${days}`);
  const now = options.now ?? new Date();
  const bits = options.keyBits ?? 2048;
  if (!Number.isInteger(bits) || bits < MIN_RSA_BITS) throw new TypeError(`keyBits must be a whole number of at least ${MIN_RSA_BITS}, got ${bits}`);
  const md = (): forge.md.MessageDigest => forge.md.sha256.create();

  let caCertPem: string;
  let caKeyPem: string;
  let caCert: forge.pki.Certificate;
  let caKey: forge.pki.rsa.PrivateKey;
  if (options.ca) {
    caCertPem = options.ca.cert;
    caKeyPem = options.ca.key;
    // the CA key signs every serving certificate: a weak one makes them all forgeable
    assertPemKeyStrength(caKeyPem, 'ca.key');
    caCert = forge.pki.certificateFromPem(caCertPem);
    caKey = forge.pki.privateKeyFromPem(caKeyPem) as forge.pki.rsa.PrivateKey;
  } else {
    const pair = newKeyPair(bits);
    caCert = forge.pki.createCertificate();
    caCert.publicKey = pair.forgePublic;
    caCert.serialNumber = serialNumber();
    validity(caCert, now, Math.max(days, 3650));
    const caName = [{ name: 'commonName', value: `${serviceName}.${namespace} webhook CA` }, { name: 'organizationName', value: 'irsa-kit' }];
    caCert.setSubject(caName);
    caCert.setIssuer(caName);
    caCert.setExtensions([
      { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
      { name: 'subjectKeyIdentifier' },
    ]);
    caCert.sign(pair.forgeKey, md());
    caCertPem = toLf(forge.pki.certificateToPem(caCert));
    caKeyPem = pair.pem;
    caKey = pair.forgeKey;
  }

  const dnsNames = [...serviceDnsNames(serviceName, namespace), ...(options.dnsNames ?? [])];
  const ipAddresses = [...(options.ipAddresses ?? [])];
  if (options.localhost) {
    dnsNames.push('localhost');
    ipAddresses.push('127.0.0.1', '::1');
  }
  const uniqueDns = [...new Set(dnsNames)];
  const uniqueIps = [...new Set(ipAddresses)];

  const pair = newKeyPair(bits);
  const cert = forge.pki.createCertificate();
  cert.publicKey = pair.forgePublic;
  cert.serialNumber = serialNumber();
  validity(cert, now, days);
  cert.setSubject([{ name: 'commonName', value: `${serviceName}.${namespace}.svc` }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: [...uniqueDns.map((value) => ({ type: 2, value })), ...uniqueIps.map((ip) => ({ type: 7, ip }))] },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, md());
  const certPem = toLf(forge.pki.certificateToPem(cert));

  return {
    caCert: caCertPem,
    caKey: caKeyPem,
    cert: certPem,
    key: pair.pem,
    caBundle: Buffer.from(caCertPem).toString('base64'),
    dnsNames: uniqueDns,
    ipAddresses: uniqueIps,
  };
}

/** File names written by {@link writeWebhookCertificates} (those of a `kubernetes.io/tls` Secret, plus the CA). */
export const WEBHOOK_CERT_FILES = { caCert: 'ca.crt', caKey: 'ca.key', cert: 'tls.crt', key: 'tls.key' } as const;

/**
 * Writes `ca.crt`, `ca.key`, `tls.crt`, `tls.key` into `dir` (created if missing; keys mode 0600) and returns the paths.
 * @example
 * await writeWebhookCertificates('deploy/overlays/self-signed/certs', createWebhookCertificates());
 */
export async function writeWebhookCertificates(dir: string, certs: WebhookCertificates): Promise<Record<keyof typeof WEBHOOK_CERT_FILES, string>> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const paths = {
    caCert: join(dir, WEBHOOK_CERT_FILES.caCert),
    caKey: join(dir, WEBHOOK_CERT_FILES.caKey),
    cert: join(dir, WEBHOOK_CERT_FILES.cert),
    key: join(dir, WEBHOOK_CERT_FILES.key),
  };
  // a new file then a rename: a planted symlink is replaced, never followed, and keys are 0600 whatever the umask
  await writeFileAtomic(paths.caCert, certs.caCert, 0o644);
  await writeFileAtomic(paths.cert, certs.cert, 0o644);
  await writeFileAtomic(paths.caKey, certs.caKey, 0o600);
  await writeFileAtomic(paths.key, certs.key, 0o600);
  return paths;
}
