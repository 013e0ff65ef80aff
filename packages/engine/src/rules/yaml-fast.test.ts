/**
 * The light rules-file reader (yaml-fast.ts) against the `yaml` package path it short-cuts: for
 * every rules file in the repository, every file of the rules-file conformance vectors and the
 * snippets below, whenever the light reader accepts a text its nodes (kinds, texts, keys and
 * every range) equal the `yaml` package's and that parse has no error; otherwise it declines and
 * the `yaml` package reads the file as before. The upstream files must take the light path.
 */
// biome-ignore lint/style/noRestrictedImports: tests read the shared fixtures from disk
import { readdirSync, readFileSync, statSync } from 'node:fs';
// biome-ignore lint/style/noRestrictedImports: tests read the shared fixtures from disk
import { dirname, join, resolve } from 'node:path';
// biome-ignore lint/style/noRestrictedImports: tests read the shared fixtures from disk
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PositionMap, parseYamlFile } from './yaml.js';
import { readYamlFast } from './yaml-fast.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const PKG = resolve(HERE, '../..');

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) out.push(...yamlFiles(p));
    else if (/\.ya?ml$/.test(f)) out.push(p);
  }
  return out;
}

/** Hand-made texts at the edges of what the light reader accepts. */
const SNIPPETS: string[] = [
  '- a: b\n  c: d # x\n\n# com\n- e: f\n',
  '- a: b\n  c:\n- e:\n  f: [a, b] # z\n  g:\n    - x\n    - "y"\n',
  '- a: >\n    foo\n    bar\n\n    baz\n\n  b: |-\n    q\n    r\n\n# c\n- c: d',
  '- a: foo\n    bar\n   baz # c\n  b: x\n',
  '- a: foo\n\n    bar\n\n\n    baz\n  b: x',
  '- a:\n  - b: c\n    d: e\n  - [x, y]\n  z: 1\n',
  '- a: >\n    foo\n',
  '- a: >-\n    foo\n      more\n    bar\n\n      more2\n    end\n',
  '- a: |\n    foo\n      more\n\n    bar\n',
  '- a: > # comment\n    x\n',
  "- a: 'it''s'\n  b: \"q\\\"\\\\\\n\\t\\x41\\u00e9/\"\n",
  '- a: [ x, "y", \'z\', [1, 2], [] ]\n',
  '- a: [\n    x, y,\n    z\n    ]\n',
  '- a: [x\n    , y]\n',
  '- a: [-c, --x]\n',
  '- a: ~\n  b: null\n  c: NULL\n  d: "null"\n  e: [~, null]\n',
  '- a: 010\n  b: yes\n  c: =\n',
  '- rule: x\n  condition: evt.type = open and fd.name startswith /etc/#\n',
  '- a\n- b c\n-   d\n',
  '- a: x\n  a: y\n',
  '- a:\n- b:\n',
  '- a:\n    b: c\n    d:\n      - e\n',
  '-  a: b\n   c: d\n',
  '\uFEFF- a: b\n',
  '- foo\n  bar\n- x\n',
  '- a: b\n\n\n- c: d\n',
  '- a: "x" # c\n  b: \'y\'\n',
  '- a: [x, y] # c\n',
  '- a:\n    - b\n    - c\n  d: e\n',
  '- a: |\n    x\n\n\n  b: c\n',
  '- a: >-\n    x\n    # not a comment\n  b: c\n',
  '- a: x#y\n  b: /p:q\n',
  // Outside the accepted shape: the `yaml` package reads these.
  '',
  '# only\n',
  'a: b\n',
  '- a: b: c\n',
  '- a: &x b\n  c: *x\n',
  '- a: !tag b\n',
  '- a: "multi\n    line"\n',
  '---\n- a: b\n',
  '- a:\tb\n',
  '- a: b\r\n',
  '- a: [x, # c\n  y]\n',
  '- a: |+\n    x\n\n',
  '- a: >2\n    x\n',
  '- a: [x,]\n',
  '- a: b\n   c: d\n',
  '- a: {x: 1}\n',
  '- ? a\n  : b\n',
  '- a: "x" y\n',
  '- "a": b\n',
  '- a: >\n\n    x\n',
  '- a: >\n      x\n    y\n',
  '- a: x\n - b\n',
  `- a: ${'['.repeat(200)}x${']'.repeat(200)}\n`,
  `- a: ${'['.repeat(5_000)}\n`,
  '- a: [x\n  , y]\n',
];

function texts(): { name: string; content: string }[] {
  const out: { name: string; content: string }[] = [];
  for (const dir of ['rules', 'testdata']) {
    for (const p of yamlFiles(resolve(PKG, dir))) out.push({ name: p, content: readFileSync(p, 'utf8') });
  }
  const vectors = JSON.parse(readFileSync(resolve(PKG, 'testdata/falco/rulesfile-vectors.json'), 'utf8')) as {
    name: string;
    files?: { name: string; content: string }[];
  }[];
  for (const v of vectors)
    for (const f of v.files ?? [])
      if (typeof f.content === 'string') out.push({ name: `${v.name}/${f.name}`, content: f.content });
  for (const [i, content] of SNIPPETS.entries()) out.push({ name: `snippet ${i}`, content });
  return out;
}

describe('light YAML reader', () => {
  const all = texts();

  it('gives the yaml package path nodes and ranges exactly, whenever it accepts a text', () => {
    let accepted = 0;
    for (const { name, content } of all) {
      const slow = parseYamlFile(name, content, false);
      const bom = content.charCodeAt(0) === 0xfeff ? 1 : 0;
      const fast = readYamlFast(bom ? content.slice(bom) : content, new PositionMap(name, content, bom));
      if (!fast) continue;
      accepted++;
      if (process.env.YF_COUNT) console.log('accepted', name);
      expect(slow.error, name).toBeUndefined();
      expect(fast, name).toEqual(slow.documents);
      // parseYamlFile takes the light path for it.
      expect(parseYamlFile(name, content).documents, name).toEqual(slow.documents);
    }
    // Most texts take the light path (the vectors hold many deliberately broken files).
    expect(accepted).toBeGreaterThan(all.length / 2);
  });

  it('reads the upstream and Peregrine rules files', () => {
    const names = [
      'testdata/falco/rules/falco_rules.yaml',
      'testdata/falco/rules/falco-incubating_rules.yaml',
      'testdata/falco/rules/falco-sandbox_rules.yaml',
      'rules/peregrine_syscall_rules.yaml',
    ];
    for (const n of names) {
      const content = readFileSync(resolve(PKG, n), 'utf8');
      const pm = new PositionMap(n, content);
      expect(readYamlFast(content, pm), n).toBeDefined();
    }
  });

  it('accepts the snippets in its shape', () => {
    for (const content of SNIPPETS.slice(0, SNIPPETS.indexOf(''))) {
      const bom = content.charCodeAt(0) === 0xfeff ? 1 : 0;
      const pm = new PositionMap('x', content, bom);
      expect(readYamlFast(content.slice(bom), pm), JSON.stringify(content)).toBeDefined();
    }
  });

  it('declines texts outside its shape', () => {
    const start = SNIPPETS.indexOf('');
    for (const content of SNIPPETS.slice(start)) {
      const pm = new PositionMap('x', content);
      expect(readYamlFast(content, pm), JSON.stringify(content)).toBeUndefined();
    }
  });
});
