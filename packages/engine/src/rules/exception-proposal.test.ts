import { describe, expect, it } from 'vitest';
import { proposeException } from './exception-proposal.js';
import { load } from './load.js';
import { environmentOverrides, loadWithOverrides, overridesFile } from './summary.js';

const RULES = `- rule: Shadow opened
  desc: the shadow file is opened
  condition: evt.type = openat and fd.name = /etc/shadow
  output: shadow opened by %proc.name (cmd=%proc.cmdline parent=%proc.pname)
  priority: WARNING
`;

const event = (proc: string, parent: string) => ({
  'evt.type': 'openat',
  'fd.name': '/etc/shadow',
  'proc.name': proc,
  'proc.pname': parent,
  'proc.cmdline': `${proc} --check`,
});

describe('proposeException', () => {
  it('writes Falco YAML that, appended to the rules, suppresses exactly the matching events', () => {
    const p = proposeException(
      {
        rule: 'Shadow opened',
        name: 'backup_reads_shadow',
        items: [
          { field: 'proc.name', comp: '=', value: 'backup agent' },
          { field: 'proc.pname', comp: 'in', value: ['cron', 'systemd'] },
        ],
      },
      'syscall',
    );
    if (!p.ok) throw new Error(p.error);
    expect(p.yaml).toBe(
      '- rule: Shadow opened\n  exceptions:\n    - name: backup_reads_shadow\n      fields:\n        - proc.name\n        - proc.pname\n      comps:\n        - =\n        - in\n      values:\n        - - backup agent\n          - - cron\n            - systemd\n  override:\n    exceptions: append\n',
    );
    expect(p.condition).toBe('(( proc.name = "backup agent" and  proc.pname in (cron, systemd)))');

    const base = load([{ name: 'r.yaml', content: RULES }]);
    const tuned = load([
      { name: 'r.yaml', content: RULES },
      { name: 'exception.yaml', content: p.yaml },
    ]);
    expect(tuned.diagnostics).toEqual([]);
    const fires = (rs: typeof base.ruleset, e: object) => rs.evaluate(e, 'syscall').length > 0;
    expect(fires(base.ruleset, event('backup agent', 'cron'))).toBe(true);
    expect(fires(tuned.ruleset, event('backup agent', 'cron'))).toBe(false);
    expect(fires(tuned.ruleset, event('backup agent', 'bash'))).toBe(true);
    expect(fires(tuned.ruleset, event('cat', 'cron'))).toBe(true);

    // The preview matcher agrees with the tuned rule on stored output fields.
    expect(p.matches({ 'proc.name': 'backup agent', 'proc.pname': 'systemd' })).toBe(true);
    expect(p.matches({ 'proc.name': 'backup agent', 'proc.pname': 'bash' })).toBe(false);
    expect(p.matches({ 'proc.name': 'cat' })).toBe(false);
  });

  it('compares with startswith and contains', () => {
    const p = proposeException(
      { rule: 'r', name: 'tmp', items: [{ field: 'proc.cmdline', comp: 'startswith', value: 'cat --' }] },
      'syscall',
    );
    if (!p.ok) throw new Error(p.error);
    expect(p.matches({ 'proc.cmdline': 'cat --check' })).toBe(true);
    expect(p.matches({ 'proc.cmdline': 'cat -n' })).toBe(false);
  });

  it('refuses what Falco could not load or would read differently, with a reason', () => {
    const one = (field: string, comp: never, value: string | string[]) =>
      proposeException({ rule: 'r', name: 'x', items: [{ field, comp, value }] }, 'syscall');
    expect(proposeException({ rule: 'r', name: 'has space', items: [] }, 'syscall')).toEqual({
      ok: false,
      error: "Exception name 'has space' must be letters, digits and _ (no spaces).",
    });
    expect(proposeException({ rule: 'r', name: 'x', items: [] }, 'syscall')).toEqual({
      ok: false,
      error: 'Pick at least one field.',
    });
    expect(one('proc.name', 'like' as never, 'a')).toMatchObject({
      error: "'like' is not an exception comparison.",
    });
    expect(one('proc.name', 'in' as never, 'a')).toMatchObject({
      error: 'proc.name in takes a list of values.',
    });
    expect(one('proc.name', '=' as never, ['a'])).toMatchObject({ error: 'proc.name = takes one value.' });
    expect(one('proc.cmdline', '=' as never, 'sh -c "x"')).toMatchObject({
      error: expect.stringContaining('cannot express'),
    });
    expect(one('proc.nosuch', '=' as never, 'a')).toMatchObject({
      ok: false,
      error: expect.stringContaining('does not compile'),
    });
  });

  it('applies as an environment override beside list and macro overrides, and loads as Falco YAML', () => {
    const proposal = {
      rule: 'Shadow opened',
      name: 'backup_reads_shadow',
      items: [{ field: 'proc.name', comp: '=' as const, value: 'backup agent' }],
    };
    const file = overridesFile({ lists: { shells: ['zsh'] }, exceptions: [proposal] });
    expect(file.content).toBe(
      '- list: "shells"\n  items: ["zsh"]\n  override:\n    items: replace\n' +
        '- rule: Shadow opened\n  exceptions:\n    - name: backup_reads_shadow\n      fields:\n        - proc.name\n      comps:\n        - =\n      values:\n        - - backup agent\n  override:\n    exceptions: append\n',
    );
    const rules = [{ name: 'r.yaml', content: RULES }];
    // Stored rows as packages/db returns them; incomplete ones (the console never saves one) are left out.
    const overrides = environmentOverrides([
      {
        kind: 'exception',
        name: proposal.name,
        items: [],
        condition: null,
        rule: proposal.rule,
        exception: proposal.items,
      },
      { kind: 'exception', name: 'incomplete', items: [], condition: null, rule: null, exception: null },
      { kind: 'macro', name: 'empty', items: [], condition: null },
    ]);
    expect(overrides).toEqual({ lists: {}, macros: {}, exceptions: [proposal] });
    const tuned = loadWithOverrides(rules, overrides);
    expect(tuned.diagnostics).toEqual([]);
    const fires = (e: object) => tuned.ruleset.evaluate(e, 'syscall').length > 0;
    expect(fires(event('backup agent', 'cron'))).toBe(false);
    expect(fires(event('cat', 'cron'))).toBe(true);
    // An exception on a rule the version does not define does not load (activation refuses it).
    const orphan = loadWithOverrides(rules, { exceptions: [{ ...proposal, rule: 'No such rule' }] });
    expect(orphan.ok).toBe(false);
  });
});
