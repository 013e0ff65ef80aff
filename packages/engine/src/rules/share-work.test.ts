/**
 * Differential test of shared work (LoadOptions.shareWork, RuntimeOptions.evaluator): every rule
 * of the three upstream syscall files, evaluated three ways: by the generated per-event-type
 * evaluators (the default, rules/group-eval.ts), by the rules' closures with macros memoised per
 * event (`evaluator: 'closures'`, the default before issue 18's code generation), and with every
 * rule on its own (`shareWork: false`, the reference). Over generated events (fixed seed), as
 * structured events and as flat maps, built from the rules' own vocabulary (list items, macro
 * values) so that many rules match. Alerts (rule names, order, output, fields) must be identical.
 */
// biome-ignore lint/style/noRestrictedImports: tests read the upstream rule files from disk
import { readFileSync } from 'node:fs';
// biome-ignore lint/style/noRestrictedImports: tests read the upstream rule files from disk
import { dirname, join, resolve } from 'node:path';
// biome-ignore lint/style/noRestrictedImports: tests read the upstream rule files from disk
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { SyscallEvent } from '../events/syscall-event.js';
import {
  canGenerateCode,
  generateGroupEvaluator,
  MAX_GROUP_FUNCTION_SOURCE,
  writeGroupFunctions,
} from './group-eval.js';
import { load, type LoadOptions } from './load.js';
import { upstreamEvents, withRenamedCopies } from './testdata/upstream-events.js';
import type { RuleSet } from './ruleset.js';

const RULES = resolve(dirname(fileURLToPath(import.meta.url)), '../../testdata/falco/rules');
const FILES = ['falco_rules.yaml', 'falco-incubating_rules.yaml', 'falco-sandbox_rules.yaml'].map((name) => ({
  name,
  content: readFileSync(join(RULES, name), 'utf8'),
}));

function allRules(options: LoadOptions): RuleSet {
  const r = load(FILES, options);
  if (!r.ok) throw new Error('upstream rules did not load');
  return r.ruleset.withEnabled({ name: '' }, true);
}

describe('shared work (shareWork) against the reference evaluator', () => {
  it('gives identical alerts on every rule of the three upstream files over generated events', () => {
    const shared = allRules({ ruleMatching: 'all' });
    const closures = allRules({ ruleMatching: 'all', evaluator: 'closures' });
    const reference = allRules({ ruleMatching: 'all', shareWork: false });
    const sharedFirst = shared.withOptions({ ruleMatching: 'first' });
    const closuresFirst = closures.withOptions({ ruleMatching: 'first' });
    const referenceFirst = reference.withOptions({ ruleMatching: 'first' });
    // Otherwise every evaluator below would be the closures and the test would compare nothing new.
    expect(canGenerateCode()).toBe(true);
    const r = load(FILES);
    const events = upstreamEvents(shared.rules, r.lists, 4000);
    const counts = new Map<string, number>();
    let flatAlerts = 0;
    const generatedFor = new Set<string>();
    for (let i = 0; i < 4000; i++) {
      const e = events[i]!;
      const want = reference.evaluate(e, 'syscall');
      expect(shared.evaluate(e, 'syscall')).toEqual(want);
      expect(closures.evaluate(e, 'syscall')).toEqual(want);
      const wantFirst = referenceFirst.evaluate(e, 'syscall');
      expect(sharedFirst.evaluate(e, 'syscall')).toEqual(wantFirst);
      expect(closuresFirst.evaluate(e, 'syscall')).toEqual(wantFirst);
      expect(shared.match(e, 'syscall').map((r) => r.name)).toEqual(want.map((a) => a.rule));
      expect(sharedFirst.match(e, 'syscall').map((r) => r.name)).toEqual(wantFirst.map((a) => a.rule));
      for (const a of want) counts.set(a.rule, (counts.get(a.rule) ?? 0) + 1);
      if (!('proc' in e)) flatAlerts += want.length;
      const type = String('proc' in e ? e.type : e['evt.type']);
      if (!generatedFor.has(type) && shared.candidates(e, 'syscall').length > 0) {
        expect(generateGroupEvaluator(shared.candidates(e, 'syscall'), type, false)).toBeDefined();
        generatedFor.add(type);
      }
    }
    console.log(
      `share-work: ${counts.size} rules fired over the generated events (${flatAlerts} alerts on flat maps)`,
    );
    // The comparison means something only if many rules fired, on both kinds of events.
    expect(counts.size).toBeGreaterThan(25);
    expect(flatAlerts).toBeGreaterThan(50);
  }, 180_000);

  it('re-evaluates an event mutated in place between evaluations (no stale memo)', () => {
    const shared = allRules({});
    const closures = allRules({ evaluator: 'closures' });
    const reference = allRules({ shareWork: false });
    const e: SyscallEvent = {
      ts: '1760000000000000001',
      type: 'openat',
      dir: '<',
      res: 3,
      args: [
        ['fd', '3'],
        ['name', '/etc/shadow'],
        ['flags', 'O_RDONLY'],
      ],
      proc: { pid: 10, name: 'python3', exe: 'python3', exepath: '/usr/bin/python3', args: ['x.py'] },
      fd: { num: 3, type: 'file', name: '/etc/shadow', openFlags: 'O_RDONLY' },
    };
    const before = shared.evaluate(e, 'syscall');
    expect(before).toEqual(reference.evaluate(e, 'syscall'));
    expect(before.length).toBe(1);
    // The same object now writes: open_read (a memoised macro) turns false.
    e.args[2] = ['flags', 'O_WRONLY'];
    e.fd!.openFlags = 'O_WRONLY';
    expect(shared.evaluate(e, 'syscall')).toEqual(reference.evaluate(e, 'syscall'));
    expect(closures.evaluate(e, 'syscall')).toEqual(reference.evaluate(e, 'syscall'));
    // A rule's own filter starts its own evaluation too.
    const rule = closures.rules.find((r) => r.name === before[0]!.rule)!;
    expect(rule.filter(e)).toBe(false);
    e.args[2] = ['flags', 'O_RDONLY'];
    e.fd!.openFlags = 'O_RDONLY';
    expect(rule.filter(e)).toBe(true);
  }, 60_000);

  it("keeps tenants' literals data in generated code: quotes, backslashes, newlines, template syntax", () => {
    // Conditions come from tenants' rule files; the generated evaluator writes their literals into
    // the source of a Function. Each one must match its exact text and never run as code.
    const hostile = [
      `x"); globalThis.__pwned = 1; ("`,
      "x'); globalThis.__pwned = 1; ('",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal is template syntax on purpose
      '${globalThis.__pwned = 1}',
      'back\\slash\\", then */ code',
      'line\nbreak \u2028 and \u2029',
    ];
    const content = [
      '- rule: hostile literals',
      '  desc: literals that would break out of a JavaScript string',
      `  condition: evt.type = openat and (fd.name = ${JSON.stringify(hostile[0])} or fd.name startswith ${JSON.stringify(hostile[2])} or proc.name contains ${JSON.stringify(hostile[3])} or fd.name endswith ${JSON.stringify(hostile[4])} or proc.name != ${JSON.stringify(hostile[1])})`,
      '  output: hit %fd.name %proc.name',
      '  priority: WARNING',
    ].join('\n');
    const loaded = (options: LoadOptions) => {
      const r = load([{ name: 'hostile.yaml', content }], options);
      if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
      return r.ruleset;
    };
    const generated = loaded({});
    const closures = loaded({ evaluator: 'closures' });
    const event = (name: string, procName: string): SyscallEvent => ({
      ts: '1760000000000000001',
      type: 'openat',
      dir: '<',
      res: 3,
      args: [
        ['fd', '3'],
        ['name', name],
        ['flags', 'O_RDONLY'],
      ],
      proc: { pid: 10, name: procName, exe: procName, exepath: `/usr/bin/${procName}`, args: [] },
      fd: { num: 3, type: 'file', name, openFlags: 'O_RDONLY' },
    });
    const cases: [SyscallEvent, boolean][] = [
      [event(hostile[0]!, hostile[1]!), true],
      [event(`${hostile[2]}/tail`, hostile[1]!), true],
      [event('/etc/passwd', `a${hostile[3]}b`), true],
      [event(`/tmp/${hostile[4]}`, hostile[1]!), true],
      [event('/etc/passwd', 'bash'), true],
      [event('/etc/passwd', hostile[1]!), false],
      [event('x', hostile[1]!), false],
    ];
    for (const [e, fires] of cases) {
      const want = closures.evaluate(e, 'syscall');
      expect(want.length, JSON.stringify(e.fd)).toBe(fires ? 1 : 0);
      expect(generated.evaluate(e, 'syscall')).toEqual(want);
    }
    expect(canGenerateCode()).toBe(true);
    expect(
      generateGroupEvaluator(generated.candidates(cases[0]![0], 'syscall'), 'openat', false),
    ).toBeDefined();
    expect((globalThis as { __pwned?: number }).__pwned).toBeUndefined();
  }, 60_000);

  it('splits a group too large for one optimised function, with identical alerts', () => {
    // Every upstream rule twice (the copies renamed): openat then has 52 candidate rules, about
    // twice the source V8 optimises as one function (group-eval.ts, MAX_GROUP_FUNCTION_SOURCE).
    const doubled = withRenamedCopies(FILES);
    const loaded = (options: LoadOptions) => {
      const r = load(doubled, options);
      if (!r.ok) throw new Error('the doubled upstream rules did not load');
      return r.ruleset.withEnabled({ name: '' }, true);
    };
    const generated = loaded({ ruleMatching: 'all' });
    const closures = loaded({ ruleMatching: 'all', evaluator: 'closures' });
    const isFlat = generated.sourceDef('syscall')?.isFlat;
    const r = load(FILES);
    const events = upstreamEvents(r.ruleset.rules, r.lists, 1500, 7);
    const openat = events.find((e) => 'proc' in e && e.type === 'openat')!;
    const candidates = generated.candidates(openat, 'syscall');
    expect(candidates.length).toBeGreaterThan(50);
    const parts = writeGroupFunctions(candidates, 'openat', false, isFlat);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.flatMap((p) => p.rules)).toEqual(candidates);
    for (const p of parts) expect(p.source.length).toBeLessThanOrEqual(MAX_GROUP_FUNCTION_SOURCE);
    // As few functions as fit: no part could have taken the next part's first rule.
    for (let i = 0; i + 1 < parts.length; i++) {
      const more = [...parts[i]!.rules, parts[i + 1]!.rules[0]!];
      expect(writeGroupFunctions(more, 'openat', false, isFlat).length).toBe(2);
    }
    const generatedFirst = generated.withOptions({ ruleMatching: 'first' });
    const closuresFirst = closures.withOptions({ ruleMatching: 'first' });
    let alerts = 0;
    for (const e of events) {
      const want = closures.evaluate(e, 'syscall');
      alerts += want.length;
      expect(generated.evaluate(e, 'syscall')).toEqual(want);
      expect(generatedFirst.evaluate(e, 'syscall')).toEqual(closuresFirst.evaluate(e, 'syscall'));
    }
    expect(alerts).toBeGreaterThan(100);
  }, 180_000);

  it('gives the same matches whatever the split: one function or many small ones', () => {
    const shared = allRules({});
    const isFlat = shared.sourceDef('syscall')?.isFlat;
    const r = load(FILES);
    const events = upstreamEvents(shared.rules, r.lists, 2000, 11);
    const byType = new Map<string, ReturnType<typeof generateGroupEvaluator>[]>();
    let split = 0;
    let hits = 0;
    for (const e of events) {
      const type = String('proc' in e ? e.type : e['evt.type']);
      const rules = shared.candidates(e, 'syscall');
      if (rules.length === 0) continue;
      let fns = byType.get(type);
      if (fns === undefined) {
        // Whole; in functions of at most 5,000 characters (a rule each, mostly); both match modes.
        fns = [
          generateGroupEvaluator(rules, type, false, isFlat, Number.POSITIVE_INFINITY),
          generateGroupEvaluator(rules, type, false, isFlat, 5000),
          generateGroupEvaluator(rules, type, true, isFlat, Number.POSITIVE_INFINITY),
          generateGroupEvaluator(rules, type, true, isFlat, 5000),
        ];
        if (writeGroupFunctions(rules, type, false, isFlat, 5000).length > 1) split++;
        byType.set(type, fns);
      }
      const [whole, parts, wholeFirst, partsFirst] = fns.map((f) => f!(e));
      expect(parts).toEqual(whole);
      expect(partsFirst).toBe(wholeFirst);
      if (whole !== undefined) hits++;
    }
    expect(split).toBeGreaterThan(2);
    expect(hits).toBeGreaterThan(100);
  }, 120_000);

  it("writes boolean and number checks inline with the matchers' results for every kind of value", () => {
    const checks = [
      'proc.pid >= 7',
      'proc.pid = 7',
      'proc.pid != 7',
      'proc.pid < 7',
      'proc.pid <= -3',
      'proc.pid > 18446744073709551614',
      'fd.num > -1',
      'fd.num = 0',
      'evt.is_open_read = true',
      'evt.is_open_read != false',
      'evt.is_open_read = false',
      'evt.is_open_read != true',
    ];
    const content = checks
      .map((c, i) =>
        [
          '- rule: check ' + i,
          '  desc: d',
          '  condition: evt.type = openat and ' + c,
          '  output: o',
          '  priority: WARNING',
        ].join('\n'),
      )
      .join('\n');
    const loaded = (options: LoadOptions) => {
      const r = load([{ name: 'scalars.yaml', content }], { ruleMatching: 'all', ...options });
      if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
      return r.ruleset;
    };
    const generated = loaded({});
    const closures = loaded({ evaluator: 'closures' });
    const isFlat = generated.sourceDef('syscall')?.isFlat;
    const pids: unknown[] = [7, 6, 8, -3, '7', '9007199254740993', '18446744073709551615', 'x', undefined];
    const fds: unknown[] = [-1, 0, 3, '0', undefined];
    const opens: unknown[] = [true, false, 'true', 0, undefined];
    const events: Record<string, unknown>[] = [];
    for (const pid of pids)
      for (const fd of fds)
        for (const open of opens) {
          const e: Record<string, unknown> = { 'evt.type': 'openat', 'evt.rawtime': '1760000000000000001' };
          if (pid !== undefined) e['proc.pid'] = pid;
          if (fd !== undefined) e['fd.num'] = fd;
          if (open !== undefined) e['evt.is_open_read'] = open;
          events.push(e);
        }
    const fired = new Set<string>();
    for (const e of events) {
      const want = closures.evaluate(e, 'syscall');
      expect(generated.evaluate(e, 'syscall'), JSON.stringify(e)).toEqual(want);
      for (const a of want) fired.add(a.rule);
    }
    expect(fired.size).toBe(checks.length);
    // The checks above are written inline (else this compared the matchers with themselves).
    const source = writeGroupFunctions(generated.candidates(events[0]!, 'syscall'), 'openat', false, isFlat)
      .map((f) => f.source)
      .join('\n');
    expect(source).toContain("=== 'number' ? v >= 7 :");
    expect(source).toContain("=== 'number' ? v > -1 :");
    expect(source).toContain('=== true || v === 1)');
    expect(source).toContain('!== false && v !== 0)');
  });

  it('reports the same diagnostics and compiled conditions as the reference', () => {
    const a = load(FILES);
    const b = load(FILES, { shareWork: false });
    expect(a.diagnostics).toEqual(b.diagnostics);
    expect(a.files).toEqual(b.files);
    expect(a.ruleset.rules.map((r) => r.compiledCondition)).toEqual(
      b.ruleset.rules.map((r) => r.compiledCondition),
    );
  }, 60_000);
});

describe('compiled rules reused across the per-file passes of a load', () => {
  // Each pass reports its own warnings (unused items, deprecated fields and outputs, too many
  // event types); later files change a list, redefine a macro (once with a new text, once with
  // the same), append to and disable rules: those rules compile again, the others are reused.
  const files = [
    {
      name: 'a.yaml',
      content: `- list: shells
  items: [bash, sh]
- list: spare
  items: [x]
- macro: spawned
  condition: evt.type = execve and evt.dir = <
- macro: opened
  condition: evt.type in (open, openat)
- macro: same
  condition: proc.name = cat
- macro: inner
  condition: proc.pid = 2
- macro: outer
  condition: inner or proc.pid = 3
- rule: r1
  desc: shell
  condition: spawned and proc.name in (shells)
  output: "%proc.name %container.info"
  priority: WARNING
- rule: r2
  desc: etc
  condition: opened and fd.name startswith /etc
  output: "%fd.name %evt.latency"
  priority: WARNING
- rule: r3
  desc: any
  condition: proc.name = foo
  output: x
  priority: WARNING
- rule: r4
  desc: cat
  condition: same and spawned
  output: "%proc.cmdline"
  priority: NOTICE
- rule: r6
  desc: opened
  condition: opened and fd.name startswith /etc
  output: "%fd.name"
  priority: NOTICE
`,
    },
    {
      name: 'b.yaml',
      content: `- list: shells
  items: [zsh]
  override:
    items: append
- macro: opened
  condition: evt.type = openat
- rule: r5
  desc: spare
  condition: spawned and proc.name in (spare)
  output: "%proc.name"
  priority: ERROR
- rule: r3
  condition: and proc.pid = 1
  override:
    condition: append
`,
    },
    {
      name: 'c.yaml',
      content: `- macro: same
  condition: proc.name = cat
- rule: r2
  enabled: false
- list: late
  items: [y]
`,
    },
  ];

  it('reports, per file, the diagnostics and compiled conditions of compiling every rule again', () => {
    const a = load(files);
    const b = load(files, { shareWork: false });
    expect(a.ok).toBe(true);
    expect(a.files).toEqual(b.files);
    expect(a.diagnostics).toEqual(b.diagnostics);
    const view = (rs: RuleSet) =>
      rs.rules.map((r) => [r.name, r.enabled, r.compiledCondition, r.eventTypes, r.output, r.condition]);
    expect(view(a.ruleset)).toEqual(view(b.ruleset));
    // Each file has warnings of its own pass, and the earlier passes' rules were reused: rules of
    // the last set come from more than one compilation.
    expect(a.files.map((f) => f.warnings.length).every((n) => n > 0)).toBe(true);
    expect(new Set(a.ruleset.rules.map((r) => r.epoch)).size).toBeGreaterThan(1);
    // The reused and the recompiled rules evaluate as the reference's.
    const execve = {
      type: 'execve',
      dir: '<',
      proc: { pid: 1, name: 'zsh', cmdline: 'zsh', args: [], ancestors: [] },
    };
    const opened = { ...execve, type: 'openat', fd: { num: 3, type: 'file', name: '/etc/shadow' } };
    const fired = new Set<string>();
    for (const ev of [execve, opened, { ...execve, proc: { ...execve.proc, name: 'cat', pid: 9 } }]) {
      const all = (rs: RuleSet) =>
        rs
          .withOptions({ ruleMatching: 'all' })
          .evaluate(ev, 'syscall')
          // Without the alert time (the wall clock: the event has no number time).
          .map((x) => [x.rule, x.output.replace(/^\S+ /, '')]);
      expect(all(a.ruleset)).toEqual(all(b.ruleset));
      for (const [rule] of all(a.ruleset)) fired.add(rule!);
    }
    expect([...fired].sort()).toEqual(['r1', 'r4', 'r6']);
  });
});
