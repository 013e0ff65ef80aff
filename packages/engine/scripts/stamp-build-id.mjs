// Writes the hash of every built JavaScript file of the engine (names and contents, in name order)
// into dist/rules/build-id.js: the compile cache's code fingerprint (src/rules/build-id.ts).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const DIST = new URL('../dist/', import.meta.url).pathname;
const TARGET = join(DIST, 'rules/build-id.js');
const files = [];
const visit = (dir) => {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) visit(p);
    else if (e.name.endsWith('.js') && p !== TARGET) files.push(p);
  }
};
visit(DIST);
files.sort();
const hash = createHash('sha256');
for (const f of files) hash.update(`${relative(DIST, f)}\0${readFileSync(f, 'utf8')}\0`);
const id = hash.digest('hex');
writeFileSync(
  TARGET,
  `/** The hash of the built engine's JavaScript (scripts/stamp-build-id.mjs). */\nexport const ENGINE_BUILD_ID = ${JSON.stringify(id)};\n`,
);
console.log(`engine build id ${id.slice(0, 16)} (${files.length} files)`);
