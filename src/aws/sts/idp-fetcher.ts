/**
 * The Node adapter of {@link IdpFetcher}: HTTPS GET to an identity provider, trusting the system store plus the
 * given CAs, with AWS's thumbprint fallback for untrusted chains, and a host map so an issuer's port-less URL
 * (`https://oidc.irsa.local`) reaches the local issuer server (`127.0.0.1:PORT`) with the original Host and SNI.
 * @module
 */
import { request, type RequestOptions } from 'node:https';
import { isIP } from 'node:net';
import { checkServerIdentity, rootCertificates, type DetailedPeerCertificate, type PeerCertificate } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { thumbprintFromChain } from '../../oidc/index.js';
import type { IdpFetcher, IdpFetchResult } from './jwks-cache.js';

/** Options of {@link createIdpFetcher}. */
export interface IdpFetcherOptions {
  /** Extra trusted CA certificates (PEM), e.g. the state directory's local CA. */
  ca?: readonly string[];
  /** `host` → `address:port` to connect to instead (the certificate may name either). */
  hostMap?: Readonly<Record<string, string>>;
  /** Per request; default 5000 ms. */
  timeoutMs?: number;
  /** Larger bodies are refused; default 1 MiB. */
  maxBodyBytes?: number;
}

/** TLS errors that mean "chain not trusted or not for this name" (AWS then compares thumbprints). */
const UNTRUSTED = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ALTNAME|HOSTNAME/;

function chainOf(peer: DetailedPeerCertificate): X509Certificate[] {
  const out: X509Certificate[] = [];
  const seen = new Set<string>();
  let cur: DetailedPeerCertificate | undefined = peer;
  while (cur !== undefined && cur.raw !== undefined && !seen.has(cur.fingerprint256)) {
    seen.add(cur.fingerprint256);
    out.push(new X509Certificate(cur.raw));
    cur = cur.issuerCertificate;
  }
  return out;
}

interface Attempt {
  result: IdpFetchResult;
  /** The TLS error code when the chain or name was refused. */
  tlsCode?: string;
}

/**
 * Creates the fetcher STS uses for discovery documents and JWKS.
 * @example
 * const fetcher = createIdpFetcher({ ca: [caPem], hostMap: { 'oidc.irsa.local': '127.0.0.1:8443' } });
 */
export function createIdpFetcher(options: IdpFetcherOptions = {}): IdpFetcher {
  const ca = options.ca !== undefined && options.ca.length > 0 ? [...rootCertificates, ...options.ca] : undefined;
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;

  function once(url: URL, verify: boolean, thumbprints: readonly string[]): Promise<Attempt> {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const mapped = options.hostMap?.[host];
    let connectHost = host;
    let port = url.port === '' ? 443 : Number(url.port);
    if (mapped !== undefined) {
      const i = mapped.lastIndexOf(':');
      connectHost = mapped.slice(0, i).replace(/^\[|\]$/g, '');
      port = Number(mapped.slice(i + 1));
    }
    const opts: RequestOptions = {
      host: connectHost,
      port,
      path: `${url.pathname}${url.search}`,
      method: 'GET',
      headers: { host: url.host, accept: 'application/json' },
      ...(isIP(host) === 0 ? { servername: host } : {}),
      ...(ca !== undefined ? { ca } : {}),
      rejectUnauthorized: verify,
      agent: false,
      // the certificate may name the issuer's host, or the address the host map sends it to
      checkServerIdentity: (_name: string, cert: PeerCertificate) =>
        checkServerIdentity(host, cert) === undefined || (mapped !== undefined && checkServerIdentity(connectHost, cert) === undefined)
          ? undefined
          : checkServerIdentity(host, cert),
    };
    return new Promise<Attempt>((resolve) => {
      let settled = false;
      const done = (a: Attempt): void => {
        if (!settled) {
          settled = true;
          resolve(a);
        }
      };
      const req = request(opts, (res) => {
        if (!verify) {
          const chain = chainOf((res.socket as unknown as { getPeerCertificate(d: true): DetailedPeerCertificate }).getPeerCertificate(true));
          const print = chain.length > 0 ? thumbprintFromChain(chain) : '';
          if (!thumbprints.includes(print)) {
            res.destroy();
            done({ result: { kind: 'untrusted', detail: `${url.host}: the certificate chain is not trusted and its thumbprint ${print || '(none)'} is not in the provider's ThumbprintList [${thumbprints.join(', ')}]` } });
            return;
          }
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > maxBody) {
            res.destroy();
            done({ result: { kind: 'unreachable', detail: `GET ${url.href}: response larger than ${maxBody} bytes` } });
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => {
          const cc = res.headers['cache-control'];
          done({ result: { kind: 'response', status: res.statusCode ?? 0, cacheControl: cc, body: Buffer.concat(chunks).toString('utf8') } });
        });
        res.on('error', (err) => done({ result: { kind: 'unreachable', detail: `GET ${url.href}: ${err.message}` } }));
      });
      req.setTimeout(timeoutMs, () => {
        req.destroy(new Error(`no answer within ${timeoutMs} ms`));
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        const code = err.code ?? '';
        if (UNTRUSTED.test(code)) {
          done({ result: { kind: 'untrusted', detail: `${url.host}: ${err.message}` }, tlsCode: code });
          return;
        }
        done({ result: { kind: 'unreachable', detail: `GET ${url.href}${mapped !== undefined ? ` (via ${mapped})` : ''}: ${err.message}` } });
      });
      req.end();
    });
  }

  return {
    async get(href, { thumbprints }) {
      let url: URL;
      try {
        url = new URL(href);
      } catch {
        return { kind: 'unreachable', detail: `${JSON.stringify(href)} is not a URL` };
      }
      if (url.protocol !== 'https:') return { kind: 'unreachable', detail: `${href}: STS fetches keys over https only` };
      const first = await once(url, true, thumbprints);
      // AWS: a chain outside its trusted CAs is accepted when its top certificate's thumbprint is registered
      if (first.tlsCode !== undefined && thumbprints.length > 0) return (await once(url, false, thumbprints)).result;
      return first.result;
    },
  };
}
