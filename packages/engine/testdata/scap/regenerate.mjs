// Regenerates sample.scap (from the engine's writeSampleCapture) and sample.sysdig.txt (what
// Debian's sysdig 0.29.3 prints for it). Run after `npm run build -w @peregrine/engine`:
//   node packages/engine/testdata/scap/regenerate.mjs
// Needs `sysdig` (apt-get install -y sysdig). The tests read both files; they never run sysdig.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { writeSampleCapture } from '../../dist/index.js';

const here = new URL('.', import.meta.url);
const fields = readFileSync(new URL('sysdig-fields.txt', here), 'utf8').trim().split(/\s+/);
writeFileSync(new URL('sample.scap', here), writeSampleCapture());
const format = `*%evt.rawtime${fields.map((f) => ` \u00a6 %${f}`).join('')}`;
const version = execFileSync('sysdig', ['--version'], { encoding: 'utf8' }).trim();
const out = execFileSync('sysdig', ['-r', new URL('sample.scap', here).pathname, '-p', format], {
  encoding: 'utf8',
});
writeFileSync(new URL('sample.sysdig.txt', here), `# ${version}: sysdig -r sample.scap -p '${format}'\n${out}`);
