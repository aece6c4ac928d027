/**
 * Which build of the plane the benchmark servers run: the compiled one in dist/ when `npm run build` made it, as
 * bin/irsa (and so `irsa up`) does, unless `IRSA_FROM_SOURCE` is set (`IRSA_BENCH_DIST=DIR` names another compiled build); else the TypeScript sources through tsx.
 * @module
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The compiled build: dist/, or another build's directory in `IRSA_BENCH_DIST` (to compare two builds). */
const dist = process.env.IRSA_BENCH_DIST ?? join(root, 'dist');

/** A path inside the compiled build. */
export const distPath = (path: string): string => join(dist, path);

/** Whether the compiled build is used. */
export const compiled = existsSync(distPath('aws/index.js')) && !process.env.IRSA_FROM_SOURCE;

/** For the benchmark's header. */
export const buildLabel = compiled ? `plane from the compiled build (${dist})` : 'plane from the sources through tsx (run `npm run build` to measure what irsa up runs)';
