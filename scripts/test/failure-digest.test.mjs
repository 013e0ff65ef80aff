import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FailureDigest } from '../lib/failure-digest.mjs';

const ROOT = path.resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'peregrine-digest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a real tool and feeds its output, line by line, to a digest. */
function digestOf(command, args) {
  const out = spawnSync(command, args, {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '1' },
  });
  expect(out.status).not.toBe(0);
  const digest = new FailureDigest();
  for (const line of `${out.stdout}\n${out.stderr}`.split('\n')) digest.add(line);
  return digest;
}

describe('the failure digest at the end of npm test', () => {
  it("names vitest's failed test and its error, not the passing one", () => {
    writeFileSync(
      path.join(dir, 'vitest.config.mjs'),
      'export default { test: { include: ["*.test.mjs"] } };\n',
    );
    writeFileSync(
      path.join(dir, 'sample.test.mjs'),
      [
        "import { expect, it } from 'vitest';",
        "it('passes quietly', () => expect(1).toBe(1));",
        "it('counts the alerts of the incident', () => expect(2).toBe(3));",
      ].join('\n'),
    );
    const lines = digestOf(path.join(ROOT, 'node_modules/.bin/vitest'), ['run', '--root', dir]).lines(12);
    const text = lines.join('\n');
    expect(text).toContain('counts the alerts of the incident');
    expect(text).toMatch(/AssertionError: expected 2 to be 3/);
    expect(text).not.toContain('passes quietly');
    expect(text).not.toContain('\x1b[');
  });

  it("names tsc's error with its file", () => {
    writeFileSync(path.join(dir, 'bad.ts'), 'const n: number = "three";\nexport { n };\n');
    const lines = digestOf(path.join(ROOT, 'node_modules/.bin/tsc'), [
      '--noEmit',
      '--strict',
      'bad.ts',
    ]).lines(12);
    expect(lines.join('\n')).toMatch(/bad\.ts.*error TS2322/);
  });

  it("names biome's diagnostics with their files", () => {
    writeFileSync(path.join(dir, 'biome.json'), '{ "root": true }\n');
    writeFileSync(path.join(dir, 'lint.js'), 'import { unused } from "node:fs";\nexport const  x = 1;\n');
    const lines = digestOf(path.join(ROOT, 'node_modules/.bin/biome'), [
      'check',
      '--error-on-warnings',
      'lint.js',
    ]).lines(12);
    const text = lines.join('\n');
    expect(text).toMatch(/lint\.js:1:\d+ lint\/correctness\/noUnusedImports/);
    expect(text).toMatch(/lint\.js format/);
  });

  it('keeps to its limit, says how many more, and says when it recognised nothing', () => {
    const digest = new FailureDigest();
    expect(digest.lines(3)).toEqual(['(no failure line recognised: see its output above)']);
    for (let i = 0; i < 5; i++) digest.add(` × test ${i} 10ms`);
    digest.add(' × test 0 10ms');
    expect(digest.lines(3)).toEqual(['× test 0 10ms', '× test 1 10ms', '× test 2 10ms', '... 2 more above']);
  });
});
