/**
 * What `irsa up` checks and writes before it serves anything: the state directory (private, usable, or a one-line
 * reason naming --state-dir), the --host (an address of this machine, or a name that resolves to one), the TLS material
 * (re-issued when the host or issuer name changed), the env file, and sources that yield ServiceAccounts.
 * @module
 */
import { X509Certificate } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { existsSync } from 'node:fs';
import { access, chmod, constants as fsConstants, lstat, mkdir, readFile, stat } from 'node:fs/promises';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { loadServiceAccountFiles, readManifestObjects } from '../kube/index.js';
import { isRecord } from '../lib/is-record.js';
import { writeFileAtomic } from '../lib/atomic-file.js';
import { UsageError } from '../lib/errors.js';
import { createWebhookCertificates, WEBHOOK_CERT_FILES, writeWebhookCertificates } from '../webhook/index.js';
import { CONFIG_MAP_NAME } from '../webhook/constants.js';

function reason(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

/**
 * Creates `dir` (and `sub`dirs) mode 0700 whatever the umask, tightens an existing one we own, and checks it can be
 * written; every failure is a UsageError naming --state-dir.
 */
export async function prepareStateDir(dir: string, subdirs: readonly string[] = ['keys', 'tls']): Promise<void> {
  for (const path of [dir, ...subdirs.map((s) => join(dir, s))]) {
    try {
      await mkdir(path, { recursive: true, mode: 0o700 });
    } catch (err) {
      const code = reason(err);
      if (code === 'EEXIST' || code === 'ENOTDIR') throw new UsageError(`--state-dir ${dir}: ${path} is a file, not a directory; choose another --state-dir`);
      throw new UsageError(`--state-dir ${dir}: cannot create ${path} (${code}); choose a writable --state-dir`);
    }
    const info = await lstat(path);
    if (info.isSymbolicLink() && path !== dir) throw new UsageError(`--state-dir ${dir}: ${path} is a symbolic link; remove it (irsa up keeps its keys in real directories)`);
    const real = await stat(path);
    if (!real.isDirectory()) throw new UsageError(`--state-dir ${dir}: ${path} is not a directory; choose another --state-dir`);
    if ((real.mode & 0o077) !== 0 && real.uid === process.getuid?.()) await chmod(path, 0o700); // made under umask 000 by an older irsa
    try {
      await access(path, fsConstants.W_OK | fsConstants.X_OK);
    } catch (err) {
      throw new UsageError(`--state-dir ${dir}: ${path} is not writable (${reason(err)}); choose a writable --state-dir`);
    }
  }
}

const ANY_ADDRESS = new Set(['0.0.0.0', '::']);

function localAddresses(): Set<string> {
  const out = new Set<string>(['127.0.0.1', '::1']);
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) out.add(a.address.replace(/%.*$/, ''));
  return out;
}

/** Checks --host is an address of this machine, a wildcard, or a name resolving to one; a one-line UsageError otherwise. */
export async function validateHost(host: string): Promise<void> {
  if (host === '') throw new UsageError('--host is empty; use an address of this machine, e.g. 127.0.0.1');
  const local = localAddresses();
  if (isIP(host) !== 0) {
    if (ANY_ADDRESS.has(host) || host.startsWith('127.') || local.has(host)) return;
    throw new UsageError(`--host ${host}: not an address of this machine; use one of ${[...local].join(', ')} (or 0.0.0.0)`);
  }
  let addresses: string[];
  try {
    addresses = (await lookup(host, { all: true })).map((a) => a.address);
  } catch (err) {
    throw new UsageError(`--host ${host}: does not resolve (${reason(err)}); use an address of this machine or a name in /etc/hosts`);
  }
  if (!addresses.some((a) => a.startsWith('127.') || local.has(a))) {
    throw new UsageError(`--host ${host}: resolves to ${addresses.join(', ')}, not an address of this machine; use a local address`);
  }
}

/** TLS material of irsa up: the local CA, the webhook's pair, and the issuer's pair (for the issuer's host name). */
export interface UpTls {
  ca: string;
  cert: string;
  key: string;
  issuerCert: string;
  issuerKey: string;
}

export const ISSUER_CERT_FILES = { cert: 'issuer.crt', key: 'issuer.key' } as const;

function covers(certPem: string, names: readonly string[]): boolean {
  try {
    const cert = new X509Certificate(certPem);
    if (cert.validTo && Date.parse(cert.validTo) < Date.now() + 24 * 3600_000) return false;
    return names.every((n) => (isIP(n) ? cert.checkIP(n) !== undefined : cert.checkHost(n) !== undefined));
  } catch {
    return false;
  }
}

function namesFor(host: string): { dnsNames?: string[]; ipAddresses?: string[] } {
  // `localhost: true` covers localhost, 127.0.0.1 and ::1; any other listen address is added as a name
  if (ANY_ADDRESS.has(host) || host === '127.0.0.1' || host === '::1') return {};
  return isIP(host) ? { ipAddresses: [host] } : { dnsNames: [host] };
}

/**
 * Reuses the state directory's CA and certificates; (re-)issues the webhook pair when it does not cover `host`, and
 * the issuer pair when it does not cover the issuer's host name and `host`, keeping the CA users may already trust.
 */
export async function ensureUpTls(dir: string, host: string, issuerHost: string): Promise<{ paths: UpTls; reissued: string[] }> {
  const paths: UpTls = {
    ca: join(dir, WEBHOOK_CERT_FILES.caCert),
    cert: join(dir, WEBHOOK_CERT_FILES.cert),
    key: join(dir, WEBHOOK_CERT_FILES.key),
    issuerCert: join(dir, ISSUER_CERT_FILES.cert),
    issuerKey: join(dir, ISSUER_CERT_FILES.key),
  };
  const caKey = join(dir, WEBHOOK_CERT_FILES.caKey);
  const hostNames = ANY_ADDRESS.has(host) ? ['127.0.0.1'] : [host];
  const reissued: string[] = [];
  let ca: { cert: string; key: string } | undefined;
  if (existsSync(paths.ca) && existsSync(caKey)) ca = { cert: await readFile(paths.ca, 'utf8'), key: await readFile(caKey, 'utf8') };
  const current = async (p: string): Promise<string> => (existsSync(p) ? readFile(p, 'utf8') : '');
  if (!ca || !existsSync(paths.key) || !covers(await current(paths.cert), hostNames)) {
    const certs = createWebhookCertificates({ localhost: true, ...namesFor(host), ...(ca ? { ca } : {}) });
    await writeWebhookCertificates(dir, certs);
    ca = { cert: certs.caCert, key: certs.caKey };
    reissued.push('webhook');
  }
  if (!existsSync(paths.issuerKey) || reissued.length > 0 || !covers(await current(paths.issuerCert), [issuerHost, ...hostNames])) {
    const extra = namesFor(host);
    const certs = createWebhookCertificates({ localhost: true, ca, dnsNames: [issuerHost, ...(extra.dnsNames ?? [])], ...(extra.ipAddresses ? { ipAddresses: extra.ipAddresses } : {}) });
    await writeFileAtomic(paths.issuerCert, certs.cert, 0o644);
    await writeFileAtomic(paths.issuerKey, certs.key, 0o600);
    reissued.push('issuer');
  }
  return { paths, reissued };
}

/** Writes the env file (sourced by the user's shell: mode 0600, atomic, never through a planted link). */
export async function writeEnvFile(path: string, text: string, stateDir: string): Promise<void> {
  try {
    await writeFileAtomic(path, text, 0o600);
  } catch (err) {
    throw new UsageError(`--state-dir ${stateDir}: cannot write ${path} (${reason(err)}); choose a writable --state-dir`, { cause: err });
  }
}

/**
 * At start-up a source that yields nothing is an error naming the file and why (later, while watching, the store
 * keeps the last good set): unreadable or invalid manifests, no ServiceAccount, a ConfigMap file without one named
 * pod-identity-webhook. Returns the number of ServiceAccounts found.
 */
export async function checkSources(serviceAccounts: string, configMap: string, annotationPrefix: string): Promise<number> {
  let count = 0;
  if (serviceAccounts) {
    let found;
    try {
      found = await loadServiceAccountFiles(serviceAccounts, annotationPrefix);
    } catch (err) {
      throw new UsageError(`--service-accounts ${(err as Error).message.split('\n')[0]}; fix it or pass another --service-accounts`, { cause: err });
    }
    if (found.length === 0) throw new UsageError(`--service-accounts ${serviceAccounts}: no ServiceAccount manifest found (.yaml, .yml, .json with kind: ServiceAccount); pass a file or folder that has some`);
    count = found.length;
  }
  if (configMap) {
    let text: string;
    try {
      text = await readFile(configMap, 'utf8');
    } catch (err) {
      throw new UsageError(`--config-map ${configMap}: cannot be read (${reason(err)}); check the path`);
    }
    let objects;
    try {
      objects = readManifestObjects(text, configMap);
    } catch (err) {
      throw new UsageError(`--config-map ${(err as Error).message.split('\n')[0]}; fix the file`, { cause: err });
    }
    const maps = objects.map((o) => o.value).filter((v) => isRecord(v) && v.kind === 'ConfigMap') as Array<{ metadata?: { name?: unknown } }>;
    if (maps.length > 0 && !maps.some((m) => m.metadata?.name === CONFIG_MAP_NAME)) {
      const names = maps.map((m) => JSON.stringify(m.metadata?.name ?? '')).join(', ');
      throw new UsageError(`--config-map ${configMap}: holds ConfigMap ${names}, not ${CONFIG_MAP_NAME}; the webhook reads only the ConfigMap named ${CONFIG_MAP_NAME}`);
    }
  }
  return count;
}
