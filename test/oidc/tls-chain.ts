/**
 * A throwaway CA chain made with openssl for TLS tests: root → intermediate → leaf (127.0.0.1 / localhost).
 * @module
 */
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openssl } from './helpers.js';

export interface TestChain {
  root: string;
  intermediate: string;
  leaf: string;
  leafKey: string;
  rootPath: string;
  /** Lowercase hex SHA-1 of a PEM certificate, computed by openssl. */
  sha1(pem: string): string;
}

/** Creates the chain under `dir` (EC P-256 keys, valid two days). */
export function createTestChain(dir: string): TestChain {
  const p = (name: string): string => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  writeFileSync(p('ca.ext'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n');
  writeFileSync(p('leaf.ext'), 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nauthorityKeyIdentifier=keyid\n');
  openssl(['req', '-x509', ...ec, '-keyout', p('root.key'), '-out', p('root.pem'), '-subj', '/CN=irsa test root', '-days', '2',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  openssl(['req', ...ec, '-keyout', p('int.key'), '-out', p('int.csr'), '-subj', '/CN=irsa test intermediate']);
  openssl(['x509', '-req', '-in', p('int.csr'), '-CA', p('root.pem'), '-CAkey', p('root.key'), '-CAcreateserial', '-out', p('int.pem'), '-days', '2', '-extfile', p('ca.ext')]);
  openssl(['req', ...ec, '-keyout', p('leaf.key'), '-out', p('leaf.csr'), '-subj', '/CN=localhost']);
  openssl(['x509', '-req', '-in', p('leaf.csr'), '-CA', p('int.pem'), '-CAkey', p('int.key'), '-CAcreateserial', '-out', p('leaf.pem'), '-days', '2', '-extfile', p('leaf.ext')]);
  const read = (name: string): string => readFileSync(p(name), 'utf8');
  return {
    root: read('root.pem'),
    intermediate: read('int.pem'),
    leaf: read('leaf.pem'),
    leafKey: read('leaf.key'),
    rootPath: p('root.pem'),
    sha1: (pem) => openssl(['x509', '-noout', '-fingerprint', '-sha1'], pem).toString().trim().replace(/^.*=/, '').replace(/:/g, '').toLowerCase(),
  };
}
