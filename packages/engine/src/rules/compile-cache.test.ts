/**
 * The compile cache (LoadOptions.cache, rules/compile-cache.ts) in a real folder: a load served
 * from the cache must equal a load without it (the files' results, diagnostics with their
 * positions, macros, lists, every rule's data and plan, and alerts), over the three upstream
 * syscall files and every conformance scenario's files; any change of any input is a miss; a
 * corrupt, partial, unreadable or unwritable entry is a miss with one log line.
 */
// biome-ignore lint/style/noRestrictedImports: the cache under test lives in a real folder
import { createHash } from 'node:crypto';
// biome-ignore lint/style/noRestrictedImports: the cache under test lives in a real folder
import * as fs from 'node:fs';
// biome-ignore lint/style/noRestrictedImports: the cache under test lives in a real folder
import { tmpdir } from 'node:os';
// biome-ignore lint/style/noRestrictedImports: tests read the upstream rule files from disk
import { dirname, join, resolve } from 'node:path';
// biome-ignore lint/style/noRestrictedImports: tests read the upstream rule files from disk
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { builtinSources } from './default-sources.js';
import { type CompileCache, folderCompileCache } from './compile-cache.js';
import { load, type LoadOptions, type LoadResult, type RulesFile } from './load.js';
import type { RuleSet } from './ruleset.js';
import { catWriteEvents } from './testdata/cat-write-events.js';
import { openMultipleFilesEvents } from './testdata/open-multiple-files-events.js';
import { connectLocalhostEvents, syscallEvents } from './testdata/small-captures.js';
import { upstreamEvents } from './testdata/upstream-events.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const RULES = resolve(HERE, '../../testdata/falco/rules');
const FILES: RulesFile[] = [
  'falco_rules.yaml',
  'falco-incubating_rules.yaml',
  'falco-sandbox_rules.yaml',
].map((name) => ({ name, content: fs.readFileSync(join(RULES, name), 'utf8') }));
// The checks of invalidation and damage need fewer rules (two files, one): a shorter test.
const TWO = FILES.slice(0, 2);
const ONE = FILES.slice(0, 1);
const ROOT = fs.mkdtempSync(join(tmpdir(), 'peregrine-compile-cache-'));
afterAll(() => fs.rmSync(ROOT, { recursive: true, force: true }));

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
let folders = 0;

/** A folder cache in a fresh folder, counting what it does and keeping its log lines. */
function newCache(codeVersion = 'test-code') {
  const dir = join(ROOT, `c${folders++}`);
  const logs: string[] = [];
  const store = folderCompileCache({ dir, codeVersion, fs, hash: sha256, log: (m) => logs.push(m) });
  const stats = { hits: 0, sets: 0 };
  const cache: CompileCache = {
    codeVersion: store.codeVersion,
    log: store.log,
    get: (k) => {
      const t = store.get(k);
      if (t !== undefined) stats.hits++;
      return t;
    },
    set: (k, t) => {
      stats.sets++;
      store.set(k, t);
    },
  };
  return { dir, logs, stats, cache, entries: () => fs.readdirSync(dir).map((n) => join(dir, n)) };
}

/** Functions become a marker, class instances their fields: what two loads must share as data. */
function data(v: unknown, seen = new Map<object, unknown>()): unknown {
  if (typeof v === 'function') return '[function]';
  if (v === null || typeof v !== 'object') return v;
  if (seen.has(v)) return seen.get(v);
  if (v instanceof Map) return { map: [...v].map(([k, x]) => [data(k, seen), data(x, seen)]) };
  if (v instanceof Set) return { set: [...v].map((x) => data(x, seen)) };
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    seen.set(v, out);
    for (const x of v) out.push(data(x, seen));
    return out;
  }
  const out: Record<string, unknown> = {};
  seen.set(v, out);
  for (const k of Object.keys(v).sort()) {
    // The evaluation counter is per compile (its count differs); its sharing is checked by alerts.
    if (k === 'epoch') continue;
    out[k] = data((v as Record<string, unknown>)[k], seen);
  }
  return out;
}

/** Everything of a load result but the RuleSet's closures. */
function view(r: LoadResult): unknown {
  const { ruleset, ...rest } = r;
  return data({ ...rest, rules: ruleset.rules, options: ruleset.options });
}

function sameAlerts(a: RuleSet, b: RuleSet, events: readonly unknown[], source = 'syscall'): number {
  let n = 0;
  for (const e of events) {
    const want = a.evaluate(e, source);
    expect(b.evaluate(e, source)).toEqual(want);
    n += want.length;
  }
  return n;
}

describe('compile cache: a hit equals a compile', () => {
  it('over the three upstream syscall files (results, diagnostics, rules, plans, alerts)', () => {
    const c = newCache();
    const plain = load(FILES, { ruleMatching: 'all' });
    const miss = load(FILES, { ruleMatching: 'all', cache: c.cache });
    expect(c.stats).toEqual({ hits: 0, sets: 1 });
    const hit = load(FILES, { ruleMatching: 'all', cache: c.cache });
    // Rules served from the cache compile at their first use: this one compiles in the order the
    // events below need them, `hit` in definition order (view() reads every rule).
    const fresh = load(FILES, { ruleMatching: 'all', cache: c.cache });
    expect(c.stats).toEqual({ hits: 2, sets: 1 });
    expect(c.logs).toEqual([]);
    expect(plain.ok).toBe(true);
    expect(plain.ruleset.rules.length).toBe(93);
    expect(view(miss)).toEqual(view(plain));
    expect(view(hit)).toEqual(view(plain));

    const all = (r: LoadResult) => r.ruleset.withEnabled({ name: '' }, true);
    const events = upstreamEvents(all(plain).rules, plain.lists, 4000);
    const alerts = sameAlerts(all(plain), all(fresh), events);
    expect(view(fresh)).toEqual(view(plain));
    const first = (r: LoadResult) => all(r).withOptions({ ruleMatching: 'first' });
    sameAlerts(first(plain), first(hit), events);
    // With the closures too (the memoised macros of shared work, restored by identity).
    const closures = (r: LoadResult) => all(r).withOptions({ evaluator: 'closures' });
    sameAlerts(closures(plain), closures(hit), events);
    expect(alerts).toBeGreaterThan(100);
  }, 120_000);

  it('with every rule on its own (shareWork: false) and with one compile pass', () => {
    for (const options of [{ shareWork: false }, { compileEachFile: false }] as LoadOptions[]) {
      const c = newCache();
      const plain = load(FILES, options);
      load(FILES, { ...options, cache: c.cache });
      const hit = load(FILES, { ...options, cache: c.cache });
      expect(c.stats).toEqual({ hits: 1, sets: 1 });
      expect(view(hit)).toEqual(view(plain));
      sameAlerts(plain.ruleset, hit.ruleset, upstreamEvents(plain.ruleset.rules, plain.lists, 500));
    }
  }, 60_000);

  it("over every conformance scenario's files (failing loads too)", () => {
    interface Vector {
      name: string;
      files?: RulesFile[];
      loaded_plugins?: { name: string; version: string }[];
    }
    const vectors = JSON.parse(
      fs.readFileSync(resolve(HERE, '../../testdata/falco/rulesfile-vectors.json'), 'utf8'),
    ) as Vector[];
    const events = [
      ...catWriteEvents,
      ...openMultipleFilesEvents,
      ...syscallEvents,
      ...connectLocalhostEvents,
    ];
    const c = newCache();
    let loads = 0;
    let failing = 0;
    for (const v of vectors) {
      // Files without text: the vectors that name falcosecurity/rules 1.0.1 by `ref` (see rulesfile-vectors.test.ts).
      if (v.files === undefined || v.files.length === 0 || v.files.some((f) => f.content == null)) continue;
      const options: LoadOptions = {
        ruleMatching: 'all',
        ...(v.loaded_plugins ? { plugins: v.loaded_plugins } : {}),
      };
      const plain = load(v.files, options);
      load(v.files, { ...options, cache: c.cache });
      const hit = load(v.files, { ...options, cache: c.cache });
      expect(view(hit), v.name).toEqual(view(plain));
      sameAlerts(plain.ruleset, hit.ruleset, events);
      loads++;
      if (!plain.ok) failing++;
    }
    expect(c.logs).toEqual([]);
    // Every second load is a hit; a first one too when an earlier scenario had the same files.
    expect(c.stats.hits + c.stats.sets).toBe(2 * loads);
    expect(c.stats.hits).toBeGreaterThanOrEqual(loads);
    console.log(`compile-cache: ${loads} scenario loads (${failing} failing), ${c.stats.sets} entries`);
    expect(loads).toBeGreaterThan(250);
    expect(failing).toBeGreaterThan(50);
  }, 120_000);

  it('applies the runtime options of the load, not those of the entry', () => {
    const c = newCache();
    load(FILES, { cache: c.cache });
    const options: LoadOptions = {
      minPriority: 'error',
      ruleMatching: 'all',
      hostname: 'h1',
      evaluator: 'closures',
    };
    const hit = load(FILES, { ...options, cache: c.cache });
    expect(c.stats.hits).toBe(1);
    expect(view(hit)).toEqual(view(load(FILES, options)));
  });
});

describe('compile cache: any change of an input is a miss', () => {
  const changes: [string, (o: { files: RulesFile[]; options: LoadOptions; code: string }) => void][] = [
    [
      'one character of a file',
      (o) =>
        (o.files[1] = {
          ...o.files[1]!,
          content: o.files[1]!.content.replace('priority: NOTICE', 'priority: INFO'),
        }),
    ],
    ['a file name', (o) => (o.files[1] = { ...o.files[1]!, name: 'other.yaml' })],
    ['the order of the files', (o) => o.files.reverse()],
    ['one file fewer', (o) => o.files.pop()],
    ['the engine code', (o) => (o.code = 'other-code')],
    ['the sources', (o) => (o.options.sources = builtinSources().filter((s) => s.name !== 'k8s_audit'))],
    [
      'append_output',
      (o) => (o.options.extraOutputs = [{ format: 'extra=%proc.name', fields: { x: '%fd.name' } }]),
    ],
    ['the loaded plugins', (o) => (o.options.plugins = [{ name: 'container', version: '0.1.0' }])],
    ['the evt.type threshold', (o) => (o.options.maxEventTypes = 5)],
    ['compileEachFile', (o) => (o.options.compileEachFile = false)],
    ['shareWork', (o) => (o.options.shareWork = false)],
  ];
  for (const [what, change] of changes) {
    it(what, () => {
      const c = newCache();
      load(TWO, { cache: c.cache });
      const o = { files: [...TWO], options: {} as LoadOptions, code: 'test-code' };
      change(o);
      const cache = { ...c.cache, codeVersion: o.code };
      const changed = load(o.files, { ...o.options, cache });
      expect(c.stats).toEqual({ hits: 0, sets: 2 });
      expect(view(changed)).toEqual(view(load(o.files, o.options)));
      // Both entries stay usable.
      load(o.files, { ...o.options, cache });
      load(TWO, { cache: c.cache });
      expect(c.stats).toEqual({ hits: 2, sets: 2 });
    }, 30_000);
  }
});

describe('compile cache: a bad entry or folder is a miss with a log line', () => {
  const plain = () => view(load(ONE));
  const entry = (c: ReturnType<typeof newCache>) => {
    const [e] = c.entries().filter((p) => p.endsWith('.rules-cache'));
    return e!;
  };
  const damaged: [string, (text: string) => string, RegExp][] = [
    ['cut short (a partial write)', (t) => t.slice(0, Math.floor(t.length / 2)), /checksum mismatch/],
    [
      'one character changed (an output text)',
      (t) => t.replace('Sensitive file opened', 'Sensitive file openex'),
      /checksum mismatch/,
    ],
    ['empty', () => '', /checksum mismatch/],
    ['not JSON, with a valid checksum', () => `${sha256('{oops')}\n{oops`, /corrupt entry/],
    [
      'another format, with a valid checksum',
      (t) => {
        const body = t
          .slice(t.indexOf('\n') + 1)
          .replace('peregrine-compile-cache/1', 'peregrine-compile-cache/0');
        return `${sha256(body)}\n${body}`;
      },
      /corrupt entry.*format/,
    ],
    [
      'a reference out of its table, with a valid checksum',
      (t) => {
        const body = t.slice(t.indexOf('\n') + 1).replace(/"root":\[0,\d+\]/, '"root":[0,99999999]');
        return `${sha256(body)}\n${body}`;
      },
      /corrupt entry.*bad reference/,
    ],
    [
      'a rule of an unknown source, with a valid checksum',
      (t) => {
        const body = t.slice(t.indexOf('\n') + 1).replaceAll('"syscall"', '"nosuchsource"');
        return `${sha256(body)}\n${body}`;
      },
      /corrupt entry.*unknown source/,
    ],
  ];
  for (const [what, damage, logged] of damaged) {
    it(what, () => {
      const c = newCache();
      load(ONE, { cache: c.cache });
      const path = entry(c);
      fs.writeFileSync(path, damage(fs.readFileSync(path, 'utf8')));
      const r = load(ONE, { cache: c.cache });
      expect(c.logs).toHaveLength(1);
      expect(c.logs[0]).toMatch(logged);
      expect(c.stats.sets).toBe(2);
      expect(view(r)).toEqual(plain());
      // The miss wrote a good entry again.
      expect(view(load(ONE, { cache: c.cache }))).toEqual(plain());
      expect(c.logs).toHaveLength(1);
      expect(c.stats.sets).toBe(2);
    }, 30_000);
  }

  it('an unreadable entry (a folder in its place)', () => {
    const c = newCache();
    load(ONE, { cache: c.cache });
    const path = entry(c);
    fs.rmSync(path);
    fs.mkdirSync(path);
    const r = load(ONE, { cache: c.cache });
    expect(c.logs[0]).toMatch(/cannot read an entry.*EISDIR/);
    // Nor can it be replaced: a second line, and still the compiled result.
    expect(c.logs[1]).toMatch(/cannot write an entry/);
    expect(view(r)).toEqual(plain());
  }, 30_000);

  it('an unwritable folder (a file in its place)', () => {
    const dir = join(ROOT, 'not-a-folder');
    fs.writeFileSync(dir, 'x');
    const logs: string[] = [];
    const cache = folderCompileCache({ dir, codeVersion: 't', fs, hash: sha256, log: (m) => logs.push(m) });
    const r = load(ONE, { cache });
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/cannot write an entry.*(EEXIST|ENOTDIR)/);
    expect(view(r)).toEqual(plain());
    expect(fs.readFileSync(dir, 'utf8')).toBe('x');
  }, 30_000);

  it('keeps at most maxEntries entries, and no temporary files', () => {
    const dir = join(ROOT, 'bounded');
    const cache = folderCompileCache({
      dir,
      codeVersion: 't',
      fs,
      hash: sha256,
      log: () => {},
      maxEntries: 2,
    });
    for (let i = 0; i < 4; i++)
      load([{ name: 'a.yaml', content: `- list: l${i}\n  items: [a]\n` }], { cache });
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.rules-cache'))).toHaveLength(2);
    expect(fs.readdirSync(dir).filter((n) => !n.endsWith('.rules-cache'))).toEqual([]);
  });
});
