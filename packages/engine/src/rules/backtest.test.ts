import { describe, expect, it } from 'vitest';
import { BacktestTally } from './backtest.js';
import { load } from './load.js';

const rule = (name: string, condition: string) =>
  `- rule: ${name}\n  desc: d\n  condition: ${condition}\n  output: ${name} by %proc.name\n  priority: WARNING\n`;

const ACTIVE =
  rule('Shadow', 'evt.type = openat and fd.name = /etc/shadow') +
  rule('Curl', 'evt.type = execve and proc.name = curl');
// The draft narrows Shadow to non-root readers, drops nothing else and adds Wget.
const DRAFT =
  rule('Shadow', 'evt.type = openat and fd.name = /etc/shadow and user.name != root') +
  rule('Curl', 'evt.type = execve and proc.name = curl') +
  rule('Wget', 'evt.type = execve and proc.name = wget');

const set = (content: string, ruleMatching: 'all' | 'first' = 'all') => {
  const l = load([{ name: 'r.yaml', content }], { ruleMatching });
  expect(l.ok).toBe(true);
  return l.ruleset;
};

const EVENTS = [
  { 'evt.type': 'openat', 'fd.name': '/etc/shadow', 'proc.name': 'cat', 'user.name': 'root' },
  { 'evt.type': 'openat', 'fd.name': '/etc/shadow', 'proc.name': 'vi', 'user.name': 'root' },
  { 'evt.type': 'openat', 'fd.name': '/etc/shadow', 'proc.name': 'less', 'user.name': 'root' },
  { 'evt.type': 'openat', 'fd.name': '/etc/shadow', 'proc.name': 'cat', 'user.name': 'bob' },
  { 'evt.type': 'execve', 'proc.name': 'curl' },
  { 'evt.type': 'execve', 'proc.name': 'wget' },
  { 'evt.type': 'execve', 'proc.name': 'ls' },
];

describe('BacktestTally', () => {
  it('counts per rule the alerts a draft adds, removes and keeps', () => {
    const tally = new BacktestTally(set(ACTIVE), set(DRAFT), 2);
    for (const [i, e] of EVENTS.entries()) tally.add(`raw:${i}`, e, 'syscall');
    expect(tally.state()).toEqual({
      events: 7,
      unchanged: 3,
      activeAlerts: 5,
      draftAlerts: 3,
      failed: 0,
      rules: [
        { rule: 'Shadow', added: 0, removed: 3, unchanged: 1, addedSamples: 0, removedSamples: 2 },
        { rule: 'Wget', added: 1, removed: 0, unchanged: 0, addedSamples: 1, removedSamples: 0 },
        { rule: 'Curl', added: 0, removed: 0, unchanged: 1, addedSamples: 0, removedSamples: 0 },
      ],
    });
  });

  it('hands out at most samplesPerRule samples per rule and change, each once, with both sides’ alerts', () => {
    const tally = new BacktestTally(set(ACTIVE), set(DRAFT), 2);
    for (const [i, e] of EVENTS.entries()) tally.add(`raw:${i}`, e, 'syscall');
    const samples = tally.takeSamples();
    expect(samples.map((s) => [s.rule, s.change, s.ref])).toEqual([
      ['Shadow', 'removed', 'raw:0'],
      ['Shadow', 'removed', 'raw:1'],
      ['Wget', 'added', 'raw:5'],
    ]);
    const [first, , wget] = samples;
    expect(first?.event).toBe(EVENTS[0]);
    expect(first?.activeAlerts.map((a) => [a.rule, a.message])).toEqual([['Shadow', 'Shadow by cat']]);
    expect(first?.draftAlerts).toEqual([]);
    expect(wget?.draftAlerts.map((a) => [a.rule, a.priority, a.message])).toEqual([
      ['Wget', 'Warning', 'Wget by wget'],
    ]);
    expect(tally.takeSamples()).toEqual([]);
    // A third removal is counted but not sampled: the bound holds.
    tally.add('raw:7', EVENTS[2], 'syscall');
    expect(tally.takeSamples()).toEqual([]);
    expect(tally.state().rules[0]).toMatchObject({ rule: 'Shadow', removed: 4, removedSamples: 2 });
  });

  it('reports nothing changed for the same rules, and counts events of other sources as unchanged', () => {
    const tally = new BacktestTally(set(ACTIVE), set(ACTIVE));
    tally.add('a', { 'evt.type': 'execve', 'proc.name': 'curl' }, 'syscall');
    tally.add('b', { verb: 'create' }, 'k8s_audit');
    expect(tally.state()).toMatchObject({
      events: 2,
      unchanged: 2,
      rules: [{ rule: 'Curl', added: 0, removed: 0, unchanged: 1 }],
      activeAlerts: 1,
      draftAlerts: 1,
    });
    expect(tally.takeSamples()).toEqual([]);
  });

  it('checks a condition both sets share once per event', () => {
    let calls = 0;
    const active = set(ACTIVE);
    const draft = set(DRAFT);
    const tally = new BacktestTally(active, draft);
    // Curl is the same on both sides; Shadow differs; Wget is the draft's own.
    expect(tally.distinctConditions).toBe(4);
    const curl = draft.rules.find((r) => r.name === 'Curl')!;
    const activeCurl = active.rules.find((r) => r.name === 'Curl')!;
    for (const r of [curl, activeCurl]) {
      const filter = r.filter;
      (r as { filter: (e: unknown) => boolean }).filter = (e) => {
        calls++;
        return filter(e);
      };
    }
    expect(tally.add('x', { 'evt.type': 'execve', 'proc.name': 'curl' }, 'syscall')).toEqual({
      active: ['Curl'],
      draft: ['Curl'],
      failed: false,
    });
    expect(calls).toBe(1);
  });

  it('follows each side’s rule_matching: first stops at the first match', () => {
    const both =
      rule('Any exec', 'evt.type = execve') + rule('Curl', 'evt.type = execve and proc.name = curl');
    const tally = new BacktestTally(set(both, 'all'), set(both, 'first'));
    const verdict = tally.add('x', { 'evt.type': 'execve', 'proc.name': 'curl' }, 'syscall');
    expect(verdict).toEqual({ active: ['Any exec', 'Curl'], draft: ['Any exec'], failed: false });
    expect(tally.state().rules).toEqual([
      { rule: 'Curl', added: 0, removed: 1, unchanged: 0, addedSamples: 0, removedSamples: 1 },
      { rule: 'Any exec', added: 0, removed: 0, unchanged: 1, addedSamples: 0, removedSamples: 0 },
    ]);
  });

  it('counts an event a condition cannot evaluate as failed, and goes on', () => {
    const active = set(ACTIVE);
    const tally = new BacktestTally(active, set(DRAFT));
    const curl = active.rules.find((r) => r.name === 'Curl')!;
    (curl as { filter: (e: unknown) => boolean }).filter = () => {
      throw new Error('extractor choked');
    };
    expect(tally.add('bad', { 'evt.type': 'execve', 'proc.name': 'x' }, 'syscall').failed).toBe(true);
    tally.add('ok', EVENTS[3], 'syscall');
    expect(tally.state()).toMatchObject({ events: 2, failed: 1, unchanged: 1 });
  });

  it('resumes from a saved state as if it had never stopped', () => {
    const whole = new BacktestTally(set(ACTIVE), set(DRAFT), 2);
    for (const [i, e] of EVENTS.entries()) whole.add(`raw:${i}`, e, 'syscall');

    const first = new BacktestTally(set(ACTIVE), set(DRAFT), 2);
    for (const [i, e] of EVENTS.slice(0, 4).entries()) first.add(`raw:${i}`, e, 'syscall');
    const saved = JSON.parse(JSON.stringify(first.state()));
    const firstSamples = first.takeSamples();
    const second = BacktestTally.resume(set(ACTIVE), set(DRAFT), saved, 2);
    for (const [i, e] of EVENTS.slice(4).entries()) second.add(`raw:${i + 4}`, e, 'syscall');

    expect(second.state()).toEqual(whole.state());
    const refs = (s: { rule: string; change: string; ref: string }[]) =>
      s.map((x) => `${x.rule}/${x.change}/${x.ref}`);
    expect(refs([...firstSamples, ...second.takeSamples()])).toEqual(refs(whole.takeSamples()));
  });
});
