// biome-ignore lint/style/noRestrictedImports: the test reads the upstream rules from testdata
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { load } from './load.js';
import { findShadowedRules } from './shadowing.js';

function rule(name: string, condition: string, extra = ''): string {
  return `- rule: ${name}\n  desc: ${name}\n  condition: ${condition}\n  output: ${name} %proc.name\n  priority: WARNING\n${extra}`;
}

function shadowed(rules: string, ruleMatching: 'first' | 'all' = 'first'): string[] {
  const loaded = load([{ name: 'r.yaml', content: rules }], { ruleMatching });
  expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return findShadowedRules(loaded.ruleset).map((s) => `${s.rule} <- ${s.by}`);
}

describe('findShadowedRules', () => {
  it('finds a later rule whose condition only adds checks to an earlier one', () => {
    const rules = [
      rule('Shadow opened', 'evt.type = openat and fd.name = /etc/shadow'),
      rule('Shell opens shadow', 'evt.type = openat and fd.name = /etc/shadow and proc.name = bash'),
      rule('Passwd opened', 'evt.type = openat and fd.name = /etc/passwd'),
    ].join('');
    expect(shadowed(rules)).toEqual(['Shell opens shadow <- Shadow opened']);
    // Under rule_matching: all every rule fires: nothing is shadowed.
    expect(shadowed(rules, 'all')).toEqual([]);
  });

  it('names where both rules are', () => {
    const loaded = load(
      [
        {
          name: 'r.yaml',
          content: rule('A', 'proc.name = bash') + rule('B', 'proc.name = bash and user.name = root'),
        },
      ],
      {},
    );
    const [s] = findShadowedRules(loaded.ruleset);
    expect(s?.byRange.start.line).toBe(1);
    expect(s?.range.start.line).toBe(6);
    expect(s?.range.file).toBe('r.yaml');
  });

  it('sees through macros, lists and stronger checks of the same field', () => {
    const rules = `
- list: shells
  items: [bash, sh, zsh]
- macro: spawned
  condition: evt.type = execve
${rule('Any shell', 'spawned and proc.name in (shells)')}${rule('Bash', 'spawned and proc.name = bash')}${rule(
  'Some shells',
  'evt.type = execve and proc.name in (sh, zsh)',
)}${rule('Tmp binary', 'spawned and proc.exe startswith /tmp/')}${rule(
  'Tmp x binary',
  'spawned and proc.exe startswith /tmp/x and proc.name = x',
)}${rule('Tmp exact', 'spawned and proc.exe = /tmp/y')}${rule('Contains', 'spawned and proc.cmdline contains curl')}${rule(
  'Contains more',
  'spawned and proc.cmdline contains "curl -k"',
)}${rule('Either type', '(evt.type = execve or evt.type = execveat) and proc.name = nc')}${rule(
  'Not trusted',
  'evt.type = openat and not proc.name in (a, b)',
)}${rule('Not trusted narrower', 'evt.type = openat and not proc.name in (a, b, c) and fd.name = x')}`;
    expect(shadowed(rules)).toEqual([
      'Bash <- Any shell',
      'Some shells <- Any shell',
      'Tmp x binary <- Tmp binary',
      'Tmp exact <- Tmp binary',
      'Contains more <- Contains',
      'Not trusted narrower <- Not trusted',
    ]);
  });

  it('reports nothing it cannot prove: exceptions, other sources, disabled rules, wider conditions', () => {
    const rules = [
      rule(
        'Shadow',
        'evt.type = openat and fd.name = /etc/shadow',
        `  exceptions:\n    - name: cats\n      fields: [proc.name]\n      values: [[cat]]\n`,
      ),
      rule('Shadow by bash', 'evt.type = openat and fd.name = /etc/shadow and proc.name = bash'),
      rule('Off', 'proc.name = x', '  enabled: false\n'),
      rule('After off', 'proc.name = x and user.name = root'),
      rule('Narrow', 'evt.type = execve and proc.name = a'),
      rule('Wider', 'evt.type = execve and proc.name in (a, b)'),
      rule('Prefix', 'evt.type = execve and proc.exe startswith /usr/'),
      rule('Other prefix', 'evt.type = execve and proc.exe startswith /us'),
      rule('Or', 'evt.type = execve and (proc.name = c or user.name = root)'),
      rule('Case', 'evt.type = execve and proc.name icontains c'),
    ].join('');
    expect(shadowed(rules)).toEqual([]);
  });

  it('finds the one shadowed rule among the upstream Falco rules', () => {
    const dir = new URL('../../testdata/falco/rules/', import.meta.url);
    const files = ['falco_rules.yaml', 'falco-incubating_rules.yaml', 'falco-sandbox_rules.yaml'].map(
      (name) => ({
        name,
        content: readFileSync(new URL(name, dir), 'utf8'),
      }),
    );
    const loaded = load(files, {});
    expect(loaded.ok).toBe(true);
    // Upstream macros that are `never_true` placeholders make the npm-install rule a strict
    // narrowing of the earlier network-tool rule: under first-match it never fires.
    expect(findShadowedRules(loaded.ruleset).map((s) => `${s.rule} <- ${s.by}`)).toEqual([
      'Network Tool Executed During NPM Package Install <- Launch Suspicious Network Tool in Container',
    ]);
  });
});
