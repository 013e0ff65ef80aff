/**
 * The generated alert writers (alert-writer.ts) against the generic way of writing alerts (the
 * RuleSet with `evaluator: 'closures'`): the same alerts, key order of `output_fields` included,
 * over every upstream rule and over outputs built to reach each branch of the generated code.
 */
// biome-ignore lint/style/noRestrictedImports: tests read the upstream rule files from disk
import { readFileSync } from 'node:fs';
// biome-ignore lint/style/noRestrictedImports: tests read the upstream rule files from disk
import { dirname, join, resolve } from 'node:path';
// biome-ignore lint/style/noRestrictedImports: tests read the upstream rule files from disk
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { SyscallEvent } from '../events/syscall-event.js';
import { generateAlertWriter } from './alert-writer.js';
import type { ExtraOutput } from './compile.js';
import { canGenerateCode } from './group-eval.js';
import { type LoadOptions, load } from './load.js';
import type { Alert, RuleSet } from './ruleset.js';
import { upstreamEvents } from './testdata/upstream-events.js';

const RULES = resolve(dirname(fileURLToPath(import.meta.url)), '../../testdata/falco/rules');
const FILES = ['falco_rules.yaml', 'falco-incubating_rules.yaml', 'falco-sandbox_rules.yaml'].map((name) => ({
  name,
  content: readFileSync(join(RULES, name), 'utf8'),
}));

function ruleSet(files: { name: string; content: string }[], options: LoadOptions): RuleSet {
  const r = load(files, options);
  if (!r.ok) throw new Error(`rules did not load: ${JSON.stringify(r.diagnostics)}`);
  return r.ruleset.withEnabled({ name: '' }, true);
}

/** The alerts with `output_fields` as [key, value] pairs, so that key order is compared too. */
function ordered(alerts: Alert[]): unknown[] {
  return alerts.map((a) => ({ ...a, output_fields: Object.entries(a.output_fields) }));
}

describe('generated alert writers', () => {
  it('write the same alerts as the generic way for every upstream rule', () => {
    expect(canGenerateCode()).toBe(true);
    const generated = ruleSet(FILES, { ruleMatching: 'all' });
    const generic = ruleSet(FILES, { ruleMatching: 'all', evaluator: 'closures' });
    // Every upstream rule gets a writer (else the comparison below would be generic against generic).
    for (const r of generated.activeRules) {
      expect(generateAlertWriter(r, 'evt.time'), r.name).toBeTypeOf('function');
    }
    const events = upstreamEvents(generated.rules, load(FILES).lists, 3000);
    const rules = new Set<string>();
    let alerts = 0;
    for (const e of events) {
      const want = generic.evaluate(e, 'syscall');
      const got = generated.evaluate(e, 'syscall');
      expect(ordered(got)).toStrictEqual(ordered(want));
      for (const a of got) rules.add(a.rule);
      alerts += got.length;
    }
    expect(alerts).toBeGreaterThan(300);
    expect(rules.size).toBeGreaterThan(30);
  });

  const RULE = `
- rule: Every branch
  desc: widths, transformers, repeated and missing fields, numbers, lists and the time in the output
  condition: evt.type = execve
  output: >-
    %20proc.name|%3proc.name|%toupper(proc.name)|%proc.name|%proc.pid|%proc.args|%fd.name|%proc.aname[2]
    %evt.time|%(user.name)|%proc.exepath|%concat(proc.name, user.name)
  priority: NOTICE
  tags: [a, b]
- rule: Only text
  desc: no fields at all
  condition: evt.type = execve
  output: plain text only
  priority: INFO
`;
  const EXTRAS: ExtraOutput[] = [
    {
      format: 'extra=%proc.name',
      fields: { 'proc.name': '%user.name', custom: '%proc.pid', both: 'a %proc.name b' },
    },
    { fields: { 'evt.time': '%proc.name', literal: 'just text' } },
  ];

  function exec(name: string, extra: Partial<SyscallEvent['proc']> = {}): SyscallEvent {
    return {
      ts: '1760000000123456789',
      type: 'execve',
      dir: '<',
      res: 0,
      args: [['res', '0']],
      proc: { pid: 7, name, exe: name, args: ['-i', 'x'], uid: 0, user: 'root', ...extra },
    };
  }

  for (const iso of [false, true]) {
    for (const ruleMatching of ['all', 'first'] as const) {
      it(`write the same alerts for widths, transformers, extras and odd values (iso ${iso}, ${ruleMatching})`, () => {
        const files = [{ name: 'r.yaml', content: RULE }];
        const options: LoadOptions = { ruleMatching, extraOutputs: EXTRAS, timeFormatIso8601: iso };
        const generated = ruleSet(files, options);
        const generic = ruleSet(files, { ...options, evaluator: 'closures' });
        const events = [
          exec('bash'),
          exec('a-very-long-process-name-over-twenty'),
          exec('nul\0after'),
          exec('', { user: undefined, exepath: '/usr/bin/x' }),
          exec('bash', { args: [], pid: undefined, uid: undefined }),
        ];
        let seen = 0;
        for (const e of events) {
          const want = generic.evaluate(e, 'syscall');
          expect(want.length).toBe(ruleMatching === 'all' ? 2 : 1);
          expect(ordered(generated.evaluate(e, 'syscall'))).toStrictEqual(ordered(want));
          seen++;
        }
        expect(seen).toBe(events.length);
        const a = generated.evaluate(exec('bash'), 'syscall')[0]!;
        // An extra that reuses an output field's key takes its place and value. The time comes last,
        // unless the output or an extra wrote its key first (`evt.time` is written by both here).
        const keys = Object.keys(a.output_fields);
        expect(keys[0]).toBe('proc.name');
        expect(a.output_fields['proc.name']).toBe('root');
        expect(keys.at(-1)).toBe(iso ? 'evt.time.iso8601' : 'literal');
        expect(keys.indexOf('evt.time')).toBe(5);
        expect(a.output_fields[iso ? 'evt.time.iso8601' : 'evt.time']).toBe(1760000000123456789n);
        expect(a.output).toContain('bash                |bas|BASH|bash|7|');
        // Each alert has its own tags list.
        a.tags.push('changed');
        expect(generated.evaluate(exec('bash'), 'syscall')[0]!.tags).toEqual(['a', 'b']);
      });
    }
  }

  it('leave a rule whose key would set the prototype to the generic way', () => {
    const files = [{ name: 'r.yaml', content: RULE }];
    const extraOutputs: ExtraOutput[] = [{ fields: Object.fromEntries([['__proto__', '%proc.name']]) }];
    const generated = ruleSet(files, { extraOutputs });
    const rule = generated.activeRules[0]!;
    expect(rule.extraFields.map((x) => x.key)).toContain('__proto__');
    expect(generateAlertWriter(rule, 'evt.time')).toBeUndefined();
    const generic = ruleSet(files, { extraOutputs, evaluator: 'closures' });
    const e = exec('bash');
    expect(ordered(generated.evaluate(e, 'syscall'))).toStrictEqual(ordered(generic.evaluate(e, 'syscall')));
  });
});
