// biome-ignore lint/style/noRestrictedImports: tests read the repository's test data from disk
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { syscallEventTypeNeeds } from './event-type-needs.js';
import { load } from './load.js';

const rules = (text: string) => {
  const result = load([{ name: 'r.yaml', content: text }]);
  expect(result.ok).toBe(true);
  return result.ruleset;
};

describe('syscallEventTypeNeeds', () => {
  it('unions the types rules name, and lists rules that match any type instead of every type', () => {
    const set = rules(`
- rule: setns
  desc: d
  condition: evt.type = setns and proc.name = x
  output: o
  priority: WARNING
- rule: send
  desc: d
  condition: evt.type in (sendto, sendmsg) and fd.l4proto != tcp
  output: o
  priority: WARNING
- rule: any
  desc: d
  condition: proc.name = nc
  output: o
  priority: WARNING
- rule: negated
  desc: d
  condition: evt.type != open and proc.name = nc
  output: o
  priority: WARNING
- rule: off
  desc: d
  condition: evt.type = userfaultfd
  output: o
  priority: WARNING
  enabled: false
- rule: audit
  desc: d
  condition: ka.verb = create
  output: o
  priority: WARNING
  source: k8s_audit
`);
    expect(syscallEventTypeNeeds(set.activeRules)).toEqual({
      named: ['sendmsg', 'sendto', 'setns'],
      unrestricted: ['any', 'negated'],
    });
    expect(syscallEventTypeNeeds(set.rules).named).toContain('userfaultfd');
  });

  it("names what upstream's stable, incubating and sandbox rules ask of a capture", () => {
    const dir = new URL('../../testdata/falco/rules/', import.meta.url);
    const files = ['falco_rules.yaml', 'falco-incubating_rules.yaml', 'falco-sandbox_rules.yaml'].map(
      (name) => ({
        name,
        content: readFileSync(new URL(name, dir), 'utf8'),
      }),
    );
    const result = load(files);
    expect(result.ok).toBe(true);
    // Every rule, enabled or not: what these files can ask of a sensor.
    const needs = syscallEventTypeNeeds(result.ruleset.rules);
    expect(needs.unrestricted).toEqual([]);
    expect(needs.named).toEqual(
      [
        ...[
          'accept',
          'accept4',
          'bpf',
          'chmod',
          'connect',
          'creat',
          'dup',
          'dup2',
          'dup3',
          'execve',
          'execveat',
        ],
        ...[
          'fchmod',
          'fchmodat',
          'finit_module',
          'init_module',
          'link',
          'linkat',
          'listen',
          'mkdir',
          'mkdirat',
        ],
        ...['open', 'openat', 'openat2', 'ptrace', 'recvfrom', 'recvmsg', 'rename', 'renameat', 'renameat2'],
        ...['rmdir', 'sendmsg', 'sendto', 'setns', 'setuid', 'socket', 'symlink', 'symlinkat', 'unlink'],
        ...['unlinkat', 'unshare', 'userfaultfd'],
      ].sort(),
    );
  });
});

describe('RuleSet.mayMatchEventType', () => {
  const TYPES = [
    'setns',
    'fadvise64',
    'read',
    'open',
    'openat',
    'execve',
    'connect',
    'sendto',
    'no_such_call',
  ];
  const probe = (type: string) => ({ type, proc: {} });

  it("says no exactly for the types whose per-type index is empty (the engine's own candidates)", () => {
    const set = rules(`
- rule: setns
  desc: d
  condition: evt.type = setns and proc.name = x
  output: o
  priority: WARNING
- rule: send
  desc: d
  condition: evt.type in (sendto, sendmsg) and fd.l4proto != tcp
  output: o
  priority: WARNING
`);
    for (const type of TYPES)
      expect(set.mayMatchEventType(type), type).toBe(set.candidates(probe(type), 'syscall').length > 0);
    expect(set.mayMatchEventType('sendto')).toBe(true);
    expect(set.mayMatchEventType('read')).toBe(false);
    expect(set.mayMatchEventType('openat')).toBe(false);
    // No rule of the source at all, or no such source.
    expect(set.mayMatchEventType('sendto', 'k8s_audit')).toBe(false);
    expect(set.mayMatchEventType('sendto', 'no_such_source')).toBe(false);
  });

  it('says yes for every type when a rule matches any type', () => {
    const set = rules(`
- rule: any
  desc: d
  condition: proc.name = nc
  output: o
  priority: WARNING
`);
    for (const type of TYPES) expect(set.mayMatchEventType(type), type).toBe(true);
  });
});
