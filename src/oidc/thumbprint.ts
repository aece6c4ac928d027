/**
 * The IAM OIDC provider thumbprint: SHA-1 of the top intermediate CA of the chain the host serves, lowercase hex.
 * `selectThumbprintCertificate` is the pure core; `fetchIssuerThumbprint` the TLS adapter.
 * @module
 */
import { createHash, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { connect, type PeerCertificate } from 'node:tls';
import { OidcError } from './errors.js';

/**
 * Picks the certificate IAM thumbprints from a chain ordered leaf first: the last one, after dropping a trailing
 * self-signed root when at least one certificate precedes it (Node appends the locally trusted root even when the
 * server did not send it).
 * @example
 * selectThumbprintCertificate([leaf, intermediate, root]) === intermediate // true
 */
export function selectThumbprintCertificate(chain: readonly X509Certificate[]): X509Certificate {
  if (chain.length === 0) throw new TypeError('empty certificate chain');
  const last = chain[chain.length - 1]!;
  if (chain.length > 1 && isSelfSigned(last)) return chain[chain.length - 2]!;
  return last;
}

function isSelfSigned(cert: X509Certificate): boolean {
  if (cert.subject !== cert.issuer) return false;
  try {
    return cert.verify(cert.publicKey);
  } catch {
    return false;
  }
}

/**
 * Lowercase hex SHA-1 of a certificate's DER bytes (40 characters).
 * @example
 * certificateThumbprint(new X509Certificate(pem)) // '9e99a48a9960b14926bb7f3b02e22da2b0ab7280'
 */
export function certificateThumbprint(cert: X509Certificate): string {
  return createHash('sha1').update(cert.raw).digest('hex');
}

/**
 * Thumbprint of a chain ordered leaf first.
 * @example
 * thumbprintFromChain([leaf, intermediate])
 */
export function thumbprintFromChain(chain: readonly X509Certificate[]): string {
  return certificateThumbprint(selectThumbprintCertificate(chain));
}

export interface FetchThumbprintOptions {
  /** PEM CA certificates to trust in addition to (instead of) the system store, for private CAs. */
  ca?: string;
  /** Default 10 s. */
  timeoutMs?: number;
}

export interface IssuerThumbprint {
  /** Lowercase hex SHA-1. */
  thumbprint: string;
  /** Subject of the certificate thumbprinted. */
  subject: string;
  /** The chain as received (leaf first), subjects only. */
  chain: string[];
}

function chainOf(peer: PeerCertificate & { issuerCertificate?: PeerCertificate }): X509Certificate[] {
  const out: X509Certificate[] = [];
  const seen = new Set<string>();
  let cur: (PeerCertificate & { issuerCertificate?: PeerCertificate }) | undefined = peer;
  while (cur && cur.raw && !seen.has(cur.fingerprint256)) {
    seen.add(cur.fingerprint256);
    out.push(new X509Certificate(cur.raw));
    cur = cur.issuerCertificate as typeof cur;
  }
  return out;
}

/**
 * Connects to the URL's host over TLS and returns the thumbprint IAM stores for an OIDC provider at that URL.
 * @example
 * const { thumbprint } = await fetchIssuerThumbprint('https://oidc.example.com/cluster-1');
 */
export async function fetchIssuerThumbprint(url: string, options: FetchThumbprintOptions = {}): Promise<IssuerThumbprint> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new OidcError('ERR_OIDC_INVALID_ISSUER', `${JSON.stringify(url)} is not a URL; pass https://HOST[/PATH]`);
  }
  if (parsed.protocol !== 'https:') throw new OidcError('ERR_OIDC_INVALID_ISSUER', `${url}: thumbprints are taken over https; pass an https:// URL`);
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const port = parsed.port === '' ? 443 : Number(parsed.port);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const chain = await new Promise<X509Certificate[]>((resolve, reject) => {
    const socket = connect({ host, port, servername: isIP(host) === 0 ? host : undefined, ca: options.ca, ALPNProtocols: ['http/1.1'] }, () => {
      const peer = socket.getPeerCertificate(true);
      socket.end();
      if (!peer || !peer.raw) {
        reject(new OidcError('ERR_OIDC_THUMBPRINT', `${parsed.host}: the server presented no certificate`, { exitCode: 1 }));
        return;
      }
      resolve(chainOf(peer));
    });
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(new OidcError('ERR_OIDC_THUMBPRINT', `${parsed.host}: no TLS handshake within ${timeoutMs} ms; check the host and port`, { exitCode: 1 }));
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const untrusted = /certificate|self.signed|unable to (get|verify)/i.test(err.message);
      const hint = untrusted ? 'the certificate chain is not trusted; pass ca with the issuing CA' : 'check the host name, port and network';
      reject(new OidcError('ERR_OIDC_THUMBPRINT', `${parsed.host}: TLS connection failed (${err.code ?? err.message}); ${hint}`, { exitCode: 1, cause: err, ...(untrusted ? { field: 'ca' } : {}) }));
    });
  });
  const selected = selectThumbprintCertificate(chain);
  return { thumbprint: certificateThumbprint(selected), subject: selected.subject, chain: chain.map((c) => c.subject) };
}
