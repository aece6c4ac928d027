/**
 * TLS settings of the webhook server: `--tls-min-version` and `--tls-cipher-suites` as upstream accepts them
 * (Go's names, mapped to Node/OpenSSL's), and the serving certificate reloaded from files when they change
 * (cert-manager rotation, Kubernetes' atomic `..data` symlink swap) without restarting or dropping connections.
 * @module
 */
import { createHash, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createSecureContext, type SecureContextOptions, type SecureVersion } from 'node:tls';
import { watchPath, type PathWatch } from '../kube/file-watch.js';
import type { Logger } from '../lib/log.js';
import { assertPemKeyStrength } from '../oidc/keys.js';
import { TlsConfigError } from './errors.js';

const MIN_VERSIONS: Record<string, SecureVersion> = {
  '1.0': 'TLSv1',
  '1.1': 'TLSv1.1',
  '1.2': 'TLSv1.2',
  '1.3': 'TLSv1.3',
  VersionTLS10: 'TLSv1',
  VersionTLS11: 'TLSv1.1',
  VersionTLS12: 'TLSv1.2',
  VersionTLS13: 'TLSv1.3',
};

/**
 * Maps `--tls-min-version` (`1.0`..`1.3` or `VersionTLS10`..`VersionTLS13`, exactly as upstream) to Node's
 * `minVersion`; empty means the default (TLS 1.2, as Go's server default).
 * @example
 * parseTlsMinVersion('1.3'); // 'TLSv1.3'
 */
export function parseTlsMinVersion(value: string): SecureVersion | undefined {
  if (value === '') return undefined;
  const version = Object.hasOwn(MIN_VERSIONS, value) ? MIN_VERSIONS[value] : undefined;
  if (version === undefined) {
    throw new TlsConfigError('ERR_TLS_MIN_VERSION', `tlsMinVersion: unsupported TLS version "${value}"; use one of 1.0, 1.1, 1.2, 1.3 (or VersionTLS10 .. VersionTLS13)`, { field: 'tlsMinVersion' });
  }
  if (version === 'TLSv1' || version === 'TLSv1.1') {
    // Checked: with minVersion TLSv1 a TLS 1.0 handshake fails ("no suitable signature algorithm") unless OpenSSL's
    // security level drops to 0 for every connection; we refuse at start instead of serving a setting that cannot work.
    throw new TlsConfigError('ERR_TLS_MIN_VERSION', `tlsMinVersion ${value}: TLS 1.0 and 1.1 cannot be served: OpenSSL ${process.versions.openssl} (Node.js ${process.versions.node}) refuses their SHA-1 handshake signatures at its default security level and they have no cipher suite in common with the defaults; use 1.2 (the default; every Kubernetes API server speaks it) or 1.3`, { field: 'tlsMinVersion' });
  }
  return version;
}

/** TLS 1.3 suites: Go accepts their names but they do not change what Go negotiates; we do the same. */
const TLS13_SUITES = new Set(['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']);

/** Go's `tls.CipherSuites()` and `tls.InsecureCipherSuites()` names (TLS ≤ 1.2) → OpenSSL names. */
const GO_TO_OPENSSL: Record<string, string> = {
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  // Go's insecure list: accepted by name; OpenSSL 3 may not offer RC4/3DES at all.
  TLS_RSA_WITH_RC4_128_SHA: 'RC4-SHA',
  TLS_RSA_WITH_3DES_EDE_CBC_SHA: 'DES-CBC3-SHA',
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_CBC_SHA256: 'AES128-SHA256',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_RC4_128_SHA: 'ECDHE-ECDSA-RC4-SHA',
  TLS_ECDHE_RSA_WITH_RC4_128_SHA: 'ECDHE-RSA-RC4-SHA',
  TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA: 'ECDHE-RSA-DES-CBC3-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: 'ECDHE-ECDSA-AES128-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: 'ECDHE-RSA-AES128-SHA256',
};

/** The cipher-suite names `--tls-cipher-suites` accepts (Go's secure and insecure lists, TLS 1.3 included). */
export const ACCEPTED_CIPHER_SUITES: readonly string[] = [...TLS13_SUITES, ...Object.keys(GO_TO_OPENSSL)];

/**
 * The TLS 1.2 suites Go's crypto/tls server offers by default, in Go's preference order: ECDHE with AES-GCM or
 * ChaCha20-Poly1305 only (Node's own default list adds static-RSA, CBC-SHA1, CCM8 and ARIA suites).
 */
export const DEFAULT_TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
] as const;

/** Node's default TLS 1.3 suites: always kept, since Go's cipher setting never touches TLS 1.3 (Node would otherwise turn TLS 1.3 off). */
const NODE_TLS13_DEFAULT = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256';

/**
 * Maps `--tls-cipher-suites` (comma-separated IANA/Go names; items trimmed, empty items skipped) to an OpenSSL
 * cipher string for Node's `ciphers` option; undefined when the list is empty (Node's defaults). An unknown name
 * is an error naming it; TLS 1.3 names are accepted and, as in Go, have no effect.
 * @example
 * parseTlsCipherSuites('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'); // 'ECDHE-RSA-AES128-GCM-SHA256:TLS_AES_256_GCM_SHA384:…'
 */
export function parseTlsCipherSuites(value: string): string | undefined {
  const openssl: string[] = [];
  const unknown: string[] = [];
  for (const raw of value.split(',')) {
    const name = raw.trim();
    if (name === '') continue;
    if (TLS13_SUITES.has(name)) continue;
    const mapped = Object.hasOwn(GO_TO_OPENSSL, name) ? GO_TO_OPENSSL[name] : undefined;
    if (mapped === undefined) unknown.push(name);
    else if (!openssl.includes(mapped)) openssl.push(mapped);
  }
  if (unknown.length > 0) {
    throw new TlsConfigError('ERR_TLS_CIPHER_SUITE', `tlsCipherSuites: unknown cipher suite ${unknown.map((n) => `"${n}"`).join(', ')}; use IANA names as Go spells them, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 (accepted: ${ACCEPTED_CIPHER_SUITES.join(', ')})`, { field: 'tlsCipherSuites' });
  }
  if (openssl.length === 0) return undefined;
  return `${openssl.join(':')}:${NODE_TLS13_DEFAULT}`;
}

/** The TLS settings that stay fixed while the certificate rotates. */
export interface TlsSettings {
  minVersion?: SecureVersion;
  ciphers?: string;
}

/**
 * Builds the fixed TLS settings from the two flags, failing with a clear message (and checking that OpenSSL
 * offers at least one of the listed TLS 1.2 suites). Without `--tls-cipher-suites`, TLS 1.2 offers
 * {@link DEFAULT_TLS12_CIPHERS} (Go's server defaults); TLS 1.3 always offers its three suites.
 * @example
 * const settings = tlsSettingsFromFlags({ tlsMinVersion: '1.2', tlsCipherSuites: '' });
 */
export function tlsSettingsFromFlags(flags: { tlsMinVersion: string; tlsCipherSuites: string }): TlsSettings {
  const settings: TlsSettings = { ciphers: `${DEFAULT_TLS12_CIPHERS.join(':')}:${NODE_TLS13_DEFAULT}` };
  const minVersion = parseTlsMinVersion(flags.tlsMinVersion);
  if (minVersion !== undefined) settings.minVersion = minVersion;
  const ciphers = parseTlsCipherSuites(flags.tlsCipherSuites);
  if (ciphers !== undefined) {
    try {
      createSecureContext({ ciphers: ciphers.split(':').filter((c) => !c.startsWith('TLS_')).join(':') });
    } catch (cause) {
      throw new TlsConfigError('ERR_TLS_CIPHER_SUITE', `tlsCipherSuites: none of the listed TLS 1.2 cipher suites is available in this Node.js/OpenSSL build (${process.versions.openssl}); pick a modern suite such as TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`, { cause, field: 'tlsCipherSuites' });
    }
    settings.ciphers = ciphers;
  }
  return settings;
}

/** A certificate and key read from files and checked to belong together. */
export interface CertificatePair {
  cert: Buffer;
  key: Buffer;
  /** SHA-256 fingerprint of the leaf certificate (as `X509Certificate.fingerprint256`). */
  fingerprint256: string;
  notAfter: string;
  notBefore: string;
}

/** Why `pair` cannot be served at `now` (expired or not yet valid), or undefined. */
function validityProblem(pair: CertificatePair, now: number): string | undefined {
  if (now > Date.parse(pair.notAfter)) return `the certificate expired at ${pair.notAfter}`;
  if (now < Date.parse(pair.notBefore)) return `the certificate is not valid before ${pair.notBefore}`;
  return undefined;
}

/**
 * Reads and checks a certificate/key pair: both PEM, the key matching the certificate. Throws TlsConfigError
 * naming the file and the problem.
 * @example
 * const pair = await loadCertificatePair('/etc/webhook/certs/tls.crt', '/etc/webhook/certs/tls.key', {});
 */
export async function loadCertificatePair(certFile: string, keyFile: string, settings: TlsSettings): Promise<CertificatePair> {
  const read = async (file: string, field: 'tlsCertFile' | 'tlsKeyFile'): Promise<Buffer> => {
    try {
      return await readFile(file);
    } catch (cause) {
      const what = field === 'tlsCertFile' ? 'certificate' : 'key';
      throw new TlsConfigError('ERR_TLS_CERTIFICATE', `${field}: cannot read the serving ${what}: ${(cause as Error).message}; check the path (or mount the cert-manager Secret there)`, { cause, field });
    }
  };
  const cert = await read(certFile, 'tlsCertFile'); // the certificate first: a missing pair names tlsCertFile
  const key = await read(keyFile, 'tlsKeyFile');
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (cause) {
    throw new TlsConfigError('ERR_TLS_CERTIFICATE', `${certFile}: not a PEM certificate (${(cause as Error).message})`, { cause });
  }
  try {
    createSecureContext({ ...settings, cert, key });
  } catch (cause) {
    throw new TlsConfigError('ERR_TLS_CERTIFICATE', `${certFile} / ${keyFile}: the key does not match the certificate or cannot be read (${(cause as Error).message})`, { cause });
  }
  try {
    assertPemKeyStrength(key, keyFile);
  } catch (cause) {
    throw new TlsConfigError('ERR_TLS_CERTIFICATE', (cause as Error).message, { cause });
  }
  return { cert, key, fingerprint256: x509.fingerprint256, notAfter: x509.validTo, notBefore: x509.validFrom };
}

/** What the reloader needs of the server: Node's `tls.Server#setSecureContext`. */
export interface SecureContextTarget {
  setSecureContext(options: SecureContextOptions): void;
}

export interface CertificateReloaderOptions {
  certFile: string;
  keyFile: string;
  settings: TlsSettings;
  logger: Logger;
  /** Also re-read every so often in case a file event was missed (ms; 0 = never). Default 10 s, as newer certwatcher. */
  pollIntervalMs?: number;
  /** Wait this long after an event before reading, so a writer's cert+key pair settles (ms). Default 50. */
  debounceMs?: number;
  /** Called after each attempt: `ok` when a new pair was installed, `error` when a changed pair was rejected. */
  onReload?: (outcome: 'ok' | 'error', pair?: CertificatePair) => void;
  /** Wall clock for the new certificate's validity window (default `Date.now`). */
  now?: () => number;
}

/**
 * Keeps a TLS server's certificate in step with two files. Watches the files' directories (so both in-place
 * writes and Kubernetes' `..data` symlink swaps are seen), re-reads both files on any event, and installs the
 * pair with `setSecureContext` only if it is valid and different; a bad pair keeps the old one. Existing
 * connections are untouched; new handshakes get the new certificate.
 */
export class CertificateReloader {
  #options: CertificateReloaderOptions;
  #target: SecureContextTarget | undefined;
  #current: CertificatePair;
  #watches: PathWatch[] = [];
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  #lastRejected = '';

  constructor(initial: CertificatePair, options: CertificateReloaderOptions) {
    this.#current = initial;
    this.#options = options;
  }

  /** The pair currently served. */
  get current(): CertificatePair {
    return this.#current;
  }

  /** The secure-context options for the current pair (used to create the server). */
  secureContextOptions(): SecureContextOptions {
    return { ...this.#options.settings, cert: this.#current.cert, key: this.#current.key };
  }

  /**
   * Starts serving into `target`: each new valid pair is installed there. With `watch` (default) the two files are
   * watched (kube/file-watch: their directories, `..data` swaps included, with a stat poll every `pollIntervalMs`).
   */
  start(target: SecureContextTarget, watch = true): void {
    this.#target = target;
    if (!watch || this.#stopped) return;
    const { certFile, keyFile, pollIntervalMs, debounceMs } = this.#options;
    const files = new Set([resolve(certFile), resolve(keyFile)]);
    for (const path of files) {
      this.#watches.push(watchPath({
        path,
        // Also called once at start: a change since the pair was loaded is picked up (an unchanged pair is a no-op).
        onChange: () => this.reload(),
        pollIntervalMs: pollIntervalMs ?? 10_000,
        debounceMs: debounceMs ?? 50,
      }));
    }
  }

  /** Serves `pair` (already checked, e.g. by a `--workers` primary) to new handshakes. */
  install(pair: CertificatePair): void {
    if (this.#stopped || !this.#target) return;
    this.#target.setSecureContext({ ...this.#options.settings, cert: pair.cert, key: pair.key });
    this.#current = pair;
  }

  /** Re-reads the files now (also what events trigger); resolves when the attempt is done. */
  async reload(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        await this.#reloadOnce();
      } while (this.#again && !this.#stopped);
    })().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** Stops watching. */
  stop(): void {
    this.#stopped = true;
    for (const w of this.#watches) void w.close();
    this.#watches = [];
  }

  async #reloadOnce(): Promise<void> {
    const { certFile, keyFile, settings, logger, onReload } = this.#options;
    let pair: CertificatePair;
    try {
      pair = await loadCertificatePair(certFile, keyFile, settings);
    } catch (err) {
      // Mid-rotation (cert written, key not yet) lands here too; the next event retries.
      const seen = await this.#contentDigest();
      if (seen !== this.#currentDigest && seen !== this.#lastRejected) {
        this.#lastRejected = seen;
        logger.warn({ err: (err as Error).message }, 'new serving certificate rejected; keeping the current one');
        onReload?.('error');
      }
      return;
    }
    if (pair.cert.equals(this.#current.cert) && pair.key.equals(this.#current.key)) return;
    const invalid = validityProblem(pair, (this.#options.now ?? Date.now)());
    if (invalid !== undefined) {
      const seen = digest(pair.cert, pair.key);
      if (seen !== this.#lastRejected) {
        this.#lastRejected = seen;
        logger.warn({ err: `${certFile}: ${invalid}`, notBefore: pair.notBefore, notAfter: pair.notAfter }, 'new serving certificate rejected; keeping the current one');
        onReload?.('error');
      }
      return;
    }
    if (this.#stopped || !this.#target) return;
    this.install(pair);
    logger.info({ fingerprint256: pair.fingerprint256, notAfter: pair.notAfter }, 'serving certificate reloaded');
    onReload?.('ok', pair);
  }

  get #currentDigest(): string {
    return digest(this.#current.cert, this.#current.key);
  }

  async #contentDigest(): Promise<string> {
    const read = (file: string) => readFile(file).catch(() => Buffer.alloc(0));
    const [cert, key] = await Promise.all([read(this.#options.certFile), read(this.#options.keyFile)]);
    return digest(cert, key);
  }
}

function digest(cert: Buffer, key: Buffer): string {
  return createHash('sha256').update(cert).update('\0').update(key).digest('hex');
}
