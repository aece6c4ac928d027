/**
 * Runs every benchmark in bench/ (each prints ops/s and its ratio against a baseline measured in the same run).
 * `--short` runs each briefly, as CI does.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const names = readdirSync(here, { withFileTypes: true })
  .filter((e) => e.isDirectory() && (only.length === 0 || only.includes(e.name)))
  .map((e) => e.name)
  .sort();
for (const name of names) {
  console.log(`\n## bench/${name}`);
  const mod = (await import(pathToFileURL(join(here, name, 'index.ts')).href)) as { run(short: boolean): Promise<void> };
  await mod.run(process.argv.includes('--short'));
}
