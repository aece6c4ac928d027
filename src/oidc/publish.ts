/**
 * Writing the issuer's documents into a directory laid out as the bucket / web root, and reading them back to serve.
 * @module
 */
import { mkdir, readFile, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { writeFileAtomic } from '../lib/atomic-file.js';
import { CONTENT_TYPE_JSON, DISCOVERY_PATH, KUBERNETES_JWKS_PATH, S3_JWKS_PATH } from './constants.js';
import { jwksContentType, type IssuerDocuments, type IssuerFile } from './discovery.js';
import { OidcError } from './errors.js';
import { validateIssuerUrl, issuerDocumentUrl } from './issuer.js';

/**
 * Writes each file under `dir` (directories created, each file replaced atomically); returns the paths written.
 * @example
 * await writeIssuerDocuments('out', buildIssuerDocuments({ issuer, publicKeys }));
 */
export async function writeIssuerDocuments(dir: string, documents: Pick<IssuerDocuments, 'files'>): Promise<string[]> {
  const written: string[] = [];
  for (const file of documents.files) {
    const path = join(dir, ...file.path.split('/'));
    await mkdir(dirname(path), { recursive: true });
    await writeFileAtomic(path, file.body, 0o644);
    written.push(path);
  }
  return written;
}

/**
 * The path of `rel` under `dir`, refused unless it stays inside `dir` once normalised and once symbolic links are
 * resolved: the discovery document is data, and its jwks_uri must not make the server read any other file.
 */
async function fileInside(dir: string, rel: string, field: string): Promise<string> {
  const refuse = (why: string): never => {
    throw new OidcError('ERR_OIDC_INVALID_ISSUER', `${field}: ${why}; the JWKS must be a file inside the served directory (regenerate with irsa oidc discovery)`);
  };
  if (rel === '' || rel.includes('\\') || rel.includes('\0') || /%(2e|2f|5c)/i.test(rel)) refuse('is not a plain relative path');
  if (isAbsolute(rel) || rel.split('/').some((seg) => seg === '..' || seg === '.' || seg === '')) refuse('leaves the directory');
  const root = resolve(dir);
  const path = resolve(root, ...rel.split('/'));
  if (!isWithin(root, path)) refuse('leaves the directory');
  try {
    const [realRoot, realPath] = await Promise.all([realpath(root), realpath(path)]);
    if (!isWithin(realRoot, realPath)) refuse('is a symbolic link out of the directory');
  } catch (err) {
    if (err instanceof OidcError) throw err;
    // a missing file is reported by the caller
  }
  return path;
}

function isWithin(root: string, path: string): boolean {
  const r = relative(root, path);
  return r !== '' && !r.startsWith('..') && !isAbsolute(r);
}

/** What `readIssuerDirectory` found. */
export interface IssuerDirectory {
  issuer: string;
  files: IssuerFile[];
}

/**
 * Reads a directory written by `irsa oidc discovery` (or by ccoctl / an API server mirror): the discovery document
 * and the JWKS its `jwks_uri` names.
 * @example
 * const { issuer, files } = await readIssuerDirectory('out');
 */
export async function readIssuerDirectory(dir: string): Promise<IssuerDirectory> {
  const discoveryPath = join(dir, ...DISCOVERY_PATH.split('/'));
  let text: string;
  try {
    text = await readFile(discoveryPath, 'utf8');
  } catch (cause) {
    throw new OidcError('ERR_OIDC_INVALID_ISSUER', `${discoveryPath}: cannot be read; the issuer directory must hold the output of irsa oidc discovery`, { cause });
  }
  let doc: { issuer?: unknown; jwks_uri?: unknown };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch (cause) {
    throw new OidcError('ERR_OIDC_INVALID_ISSUER', `${discoveryPath}: is not JSON; regenerate it with irsa oidc discovery`, { cause });
  }
  if (typeof doc.issuer !== 'string' || typeof doc.jwks_uri !== 'string') {
    throw new OidcError('ERR_OIDC_INVALID_ISSUER', `${discoveryPath}: lacks "issuer" or "jwks_uri"; regenerate it with irsa oidc discovery`);
  }
  const issuer = validateIssuerUrl(doc.issuer, `${discoveryPath} issuer`).issuer;
  const base = issuerDocumentUrl(issuer, '');
  const candidates = doc.jwks_uri.startsWith(base) ? [doc.jwks_uri.slice(base.length)] : [S3_JWKS_PATH, KUBERNETES_JWKS_PATH];
  for (const rel of candidates) {
    const path = await fileInside(dir, rel, `${discoveryPath} jwks_uri ${JSON.stringify(doc.jwks_uri)}`);
    try {
      const body = await readFile(path, 'utf8');
      return {
        issuer,
        files: [
          { path: DISCOVERY_PATH, body: text, contentType: CONTENT_TYPE_JSON },
          { path: rel, body, contentType: jwksContentType(rel) },
        ],
      };
    } catch {
      // try the next candidate
    }
  }
  throw new OidcError('ERR_OIDC_INVALID_ISSUER', `${dir}: the JWKS named by jwks_uri (${doc.jwks_uri}) is missing; regenerate with irsa oidc discovery`);
}
