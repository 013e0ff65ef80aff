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

const set = (content: string) => {
  const l = load([{ name: 'r.yaml', content }], { ruleMatching: 'all' });
  expect(l.ok).toBe(true);
  return l.ruleset;
};

describe('BacktestTally', () => {
  it('counts per rule the alerts a draft adds and removes, with samples', () => {
    const tally = new BacktestTally(set(ACTIVE), set(DRAFT), 2);
    const events = [
      { 'evt.type': 'openat', 'fd.name': '/etc/shadow', 'proc.name': 'cat', 'user.name': 'root' },
      { 'evt.type': 'openat', 'fd.name': '/etc/shadow', 'proc.name': 'vi', 'user.name': 'root' },
      { 'evt.type': 'openat', 'fd.name': '/etc/shadow', 'proc.name': 'less', 'user.name': 'root' },
      { 'evt.type': 'openat', 'fd.name': '/etc/shadow', 'proc.name': 'cat', 'user.name': 'bob' },
      { 'evt.type': 'execve', 'proc.name': 'curl' },
      { 'evt.type': 'execve', 'proc.name': 'wget' },
      { 'evt.type': 'execve', 'proc.name': 'ls' },
    ];
    for (const [i, e] of events.entries()) tally.add(`raw:${i}`, e, 'syscall');
    expect(tally.summary()).toEqual({
      events: 7,
      unchanged: 3,
      activeAlerts: 5,
      draftAlerts: 3,
      failed: 0,
      rules: [
        {
          rule: 'Shadow',
          added: 0,
          removed: 3,
          addedSamples: [],
          removedSamples: [
            { ref: 'raw:0', output: 'Shadow by cat' },
            { ref: 'raw:1', output: 'Shadow by vi' },
          ],
        },
        {
          rule: 'Wget',
          added: 1,
          removed: 0,
          addedSamples: [{ ref: 'raw:5', output: 'Wget by wget' }],
          removedSamples: [],
        },
      ],
    });
  });

  it('reports nothing changed for the same rules, and counts events of other sources as unchanged', () => {
    const tally = new BacktestTally(set(ACTIVE), set(ACTIVE));
    tally.add('a', { 'evt.type': 'execve', 'proc.name': 'curl' }, 'syscall');
    tally.add('b', { verb: 'create' }, 'k8s_audit');
    expect(tally.summary()).toMatchObject({
      events: 2,
      unchanged: 2,
      rules: [],
      activeAlerts: 1,
      draftAlerts: 1,
    });
  });
});
