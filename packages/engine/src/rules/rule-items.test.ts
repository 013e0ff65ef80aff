import { describe, expect, it } from 'vitest';
import { compareRulesFiles, rulesFileItems } from './rule-items.js';

const before = `- required_engine_version: 0.31.0
- list: shells
  items: [bash, sh]
- macro: spawned_process
  condition: evt.type = execve
- rule: Shell Started
  desc: a shell
  condition: spawned_process and proc.name in (shells)
  output: shell %proc.name
  priority: WARNING
- rule: Old Rule
  desc: dropped later
  condition: evt.type = open
  output: old
  priority: NOTICE
`;

describe('rules file items', () => {
  it('lists rules, macros and lists with their text, appends joined to their item', () => {
    const items = rulesFileItems('a.yaml', `${before}- list: shells\n  items: [zsh]\n  append: true\n`);
    expect(items.map((i) => i.label)).toEqual([
      'list: shells',
      'macro: spawned_process',
      'rule: Shell Started',
      'rule: Old Rule',
    ]);
    expect(items[0]?.text).toContain('[bash, sh]');
    expect(items[0]?.text).toContain('[zsh]');
    expect(items[2]?.text).toContain('priority: WARNING');
    expect(items[2]?.text).not.toContain('Old Rule');
  });

  it('has none for a file that does not parse', () => {
    expect(rulesFileItems('bad.yaml', '- rule: [unclosed')).toEqual([]);
  });

  it('names what a new version of a file adds, drops and changes', () => {
    const after = before
      .replace('priority: WARNING', 'priority: ERROR')
      .replace(
        /- rule: Old Rule[\s\S]*$/,
        '- rule: New Rule\n  desc: d\n  condition: evt.type = connect\n  output: o\n  priority: INFO\n',
      );
    expect(compareRulesFiles('a.yaml', before, after)).toEqual({
      added: ['rule: New Rule'],
      removed: ['rule: Old Rule'],
      changed: ['rule: Shell Started'],
    });
    expect(compareRulesFiles('a.yaml', before, before)).toEqual({ added: [], removed: [], changed: [] });
    expect(compareRulesFiles('a.yaml', null, before).added).toHaveLength(4);
  });
});
