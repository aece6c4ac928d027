/**
 * The plane's modules as `irsa up` runs them: the compiled build in dist/ when `npm run build` made it (bin/irsa's
 * rule, `IRSA_FROM_SOURCE=1` for the sources), else the TypeScript sources through tsx, which adds work to every
 * function it loads (names kept on each closure). The benchmark prints which one it measured.
 * @module
 */
import { pathToFileURL } from 'node:url';
import { compiled, distPath } from './plane-build.js';

const load = <T>(path: string, source: () => Promise<T>): Promise<T> => (compiled ? (import(pathToFileURL(distPath(`${path}.js`)).href) as Promise<T>) : source());

export const aws = await load('aws/index', () => import('../../src/aws/index.js'));
export const sts = await load('aws/sts/index', () => import('../../src/aws/sts/index.js'));
export const s3 = await load('aws/s3/index', () => import('../../src/aws/s3/index.js'));
export const oidc = await load('oidc/index', () => import('../../src/oidc/index.js'));
