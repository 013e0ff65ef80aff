import { describe, expect, it } from 'vitest';
import { analyzeRules } from './analyze-rules';
import { cursorContext, fieldCatalog, findField, sourceOrPluginDoc } from './falco-language';
import { runSampleEvents } from './run-sample-events';
import { parseSampleEvents } from './sample-events';

const RULES = `- list: shells
  items: [bash, sh]
- macro: spawned
  condition: evt.type = execve
- rule: Shell
  desc: shell
  condition: >
    spawned and
    proc.name in (shells)
  output: shell %proc.name by %user.name
  priority: WARNING
- rule: Audit
  desc: k8s
  condition: ka.verb = create
  output: created %ka.target.resource
  priority: NOTICE
  source: k8s_audit
`;

describe('analyzeRules', () => {
  it('compiles a good draft and exposes macros, lists and rules for completion', () => {
    const analysis = analyzeRules([{ name: 'r.yaml', content: RULES }]);
    expect(analysis.ok).toBe(true);
    expect(analysis.errorCount).toBe(0);
    expect(analysis.macros).toEqual([{ name: 'spawned', condition: 'evt.type = execve' }]);
    expect(analysis.lists).toEqual([{ name: 'shells', items: ['bash', 'sh'] }]);
    expect(analysis.rules.map((r) => [r.name, r.source])).toEqual([
      ['Shell', 'syscall'],
      ['Audit', 'k8s_audit'],
    ]);
  });

  it('marks an unknown field with the exact range of the condition problem', () => {
    const bad = RULES.replace('proc.name in', 'proc.nmae in');
    const analysis = analyzeRules([{ name: 'r.yaml', content: bad }]);
    expect(analysis.ok).toBe(false);
    const error = analysis.markers.find((m) => m.severity === 'error');
    expect(error).toMatchObject({ file: 'r.yaml', code: 'LOAD_ERR_COMPILE_CONDITION', item: "rule 'Shell'" });
    expect(error?.message).toContain('proc.nmae');
    // The marker covers a real span on the line of the condition.
    expect(error!.startLineNumber).toBeGreaterThanOrEqual(7);
    expect(error!.endLineNumber * 1000 + error!.endColumn).toBeGreaterThan(
      error!.startLineNumber * 1000 + error!.startColumn,
    );
    // Names stay available for completion while the draft is broken.
    expect(analysis.lists.map((l) => l.name)).toContain('shells');
  });

  it('widens a YAML error at a point to a visible span', () => {
    const analysis = analyzeRules([{ name: 'r.yaml', content: '- rule: [unclosed\n' }]);
    const error = analysis.markers[0]!;
    expect(error.severity).toBe('error');
    expect(error.endLineNumber > error.startLineNumber || error.endColumn > error.startColumn).toBe(true);
  });

  it('warns of a rule shadowed under rule_matching: first, naming the rule that takes its events', () => {
    const draft = `- rule: Shadow opened
  desc: d
  condition: evt.type = openat and fd.name = /etc/shadow
  output: o %proc.name
  priority: WARNING
- rule: Shell opens shadow
  desc: d
  condition: evt.type = openat and fd.name = /etc/shadow and proc.name = bash
  output: o %proc.name
  priority: ERROR
`;
    const analysis = analyzeRules([{ name: 'r.yaml', content: draft }]);
    expect(analysis.ok).toBe(true);
    const shadow = analysis.markers.filter((m) => m.code === 'RULE_SHADOWED');
    expect(shadow).toEqual([
      expect.objectContaining({
        severity: 'warning',
        item: "rule 'Shell opens shadow'",
        startLineNumber: 6,
        endLineNumber: 6,
      }),
    ]);
    expect(shadow[0]?.message).toContain("taken by the earlier rule 'Shadow opened' (r.yaml:1)");
    expect(analysis.warningCount).toBe(1);
  });

  it('runs the draft’s tests/ files and marks a failing case on its line', () => {
    const tests = `- test: bash
  event: {evt.type: execve, proc.name: bash}
  expect: []
`;
    const analysis = analyzeRules([
      { name: 'r.yaml', content: RULES },
      { name: 'tests/r.yaml', content: tests },
    ]);
    expect(analysis.ok).toBe(true);
    expect(analysis.tests).toMatchObject({ total: 1, failed: 1 });
    const marker = analysis.markers.find((m) => m.code === 'RULE_TEST_FAILED');
    expect(marker).toMatchObject({ file: 'tests/r.yaml', severity: 'error', startLineNumber: 1 });
    expect(marker?.message).toMatch(/^Test 'bash' fails: '.+' fired, but the test does not expect it$/);
    // The tests file is never read as rules (it would not load as a Falco rules file).
    expect(analysis.markers.filter((m) => m.code.startsWith('LOAD_'))).toEqual([]);
  });
});

describe('cursorContext', () => {
  const lines = RULES.split('\n');
  it('finds the condition key of a block scalar continuation and the rule source', () => {
    expect(cursorContext(lines, 8, 5)).toEqual({ key: 'condition', item: 'rule', source: 'syscall' });
    expect(cursorContext(lines, 13, 20)).toEqual({ key: 'condition', item: 'rule', source: 'k8s_audit' });
  });
  it('knows output, priority and the item name position', () => {
    expect(cursorContext(lines, 9, 20).key).toBe('output');
    expect(cursorContext(lines, 10, 14).key).toBe('priority');
    expect(cursorContext(lines, 4, 8)).toMatchObject({ key: 'rule', item: 'rule' });
  });
});

describe('field docs', () => {
  it('documents fields per source from the engine registry', () => {
    expect(
      fieldCatalog()
        .get('syscall')
        ?.some((f) => f.name === 'proc.name'),
    ).toBe(true);
    expect(findField('syscall', 'proc.aname[2]')).toMatchObject({ name: 'proc.aname' });
    expect(findField('k8s_audit', 'ka.verb')?.description).toBeTruthy();
    expect(findField('syscall', 'no.such')).toBeUndefined();
  });
});

describe('source and plugin docs', () => {
  it('say which Falco plugin each built-in source stands for, at which version', () => {
    expect(sourceOrPluginDoc('okta')).toContain("Stands for Falco's `okta` plugin 0.11.0");
    expect(sourceOrPluginDoc('k8s_audit')).toContain("Stands for Falco's `k8saudit` plugin 0.18.0");
    expect(sourceOrPluginDoc('k8saudit')).toContain('built into Peregrine as the `k8s_audit` source');
    expect(sourceOrPluginDoc('container')).toContain('`syscall` source');
    expect(sourceOrPluginDoc('syscall')).not.toContain('Stands for');
    expect(sourceOrPluginDoc('k8saudit-gke')).toBeUndefined();
  });
});

describe('sample events', () => {
  it('reads a JSON object, an array and NDJSON', () => {
    expect(parseSampleEvents('{"a":1}')).toEqual({ ok: true, events: [{ index: 0, event: { a: 1 } }] });
    expect(parseSampleEvents('[{"a":1},{"b":2}]')).toMatchObject({ ok: true, events: [{}, {}] });
    expect(parseSampleEvents('{"a":1}\n\n{"b":2}\n')).toMatchObject({
      ok: true,
      events: [{ index: 0 }, { index: 1 }],
    });
    expect(parseSampleEvents('{"a":1}\nnope')).toEqual({
      ok: false,
      error: expect.stringContaining('Line 2'),
    });
    expect(parseSampleEvents('[1]')).toEqual({ ok: false, error: 'Event 1 is not a JSON object.' });
  });

  it('runs flat field maps through the draft and renders the output of each rule that fires', () => {
    const parsed = parseSampleEvents(
      '{"evt.type":"execve","proc.name":"bash","user.name":"root"}\n{"evt.type":"execve","proc.name":"ls"}',
    );
    if (!parsed.ok) throw new Error(parsed.error);
    const run = runSampleEvents([{ name: 'r.yaml', content: RULES }], parsed.events, 'syscall');
    expect(run).toMatchObject({ ok: true, ruleCount: 1 });
    if (!run.ok) return;
    expect(run.results[0]?.alerts).toEqual([
      { rule: 'Shell', priority: 'Warning', output: 'shell bash by root', tags: [] },
    ]);
    expect(run.results[1]?.alerts).toEqual([]);
  });

  it('refuses to run a draft that does not compile', () => {
    const run = runSampleEvents(
      [{ name: 'r.yaml', content: RULES.replace('proc.name in', 'proc.nmae in') }],
      [],
      'syscall',
    );
    expect(run).toMatchObject({ ok: false });
  });
});
