import { describe, expect, it } from 'vitest';
import { load } from './load.js';
import { diffRuleSets, loadWithOverrides, overridesFile, summarizeRules } from './summary.js';
import { parseYamlFile } from './yaml.js';

const base = `
- list: shell_binaries
  items: [bash, sh]
- macro: spawned
  condition: evt.type = execve
- rule: shell
  desc: a shell started
  condition: spawned and proc.name in (shell_binaries)
  output: shell started (name=%proc.name)
  priority: warning
  tags: [process, shell, process]
- rule: open_etc
  desc: opens below /etc
  condition: evt.type in (open, openat) and fd.name startswith /etc
  output: open (file=%fd.name)
  priority: info
`;

describe('YAML scalars are literal text (trap 13)', () => {
  it('keeps numbers, booleans and = as written', () => {
    const y = parseYamlFile('f.yaml', '- list: x\n  items: [22, 010, 1.0, yes, =, "a b", ~]\n');
    const items = y.documents[0]!.kind === 'seq' && y.documents[0]!.items[0]!;
    expect(items && items.kind === 'map' && items.entries[1]!.value).toMatchObject({
      kind: 'seq',
      items: [
        { kind: 'scalar', text: '22' },
        { kind: 'scalar', text: '010' },
        { kind: 'scalar', text: '1.0' },
        { kind: 'scalar', text: 'yes' },
        { kind: 'scalar', text: '=' },
        { kind: 'scalar', text: 'a b' },
        { kind: 'null' },
      ],
    });
  });

  it('substitutes list items textually as written', () => {
    const r = load([
      {
        name: 'f.yaml',
        content: `
- list: ports
  items: [0022, 443]
- rule: r
  desc: d
  condition: evt.type = connect and fd.sport in (ports)
  output: o
  priority: INFO
`,
      },
    ]);
    expect(r.ruleset.rules[0]!.compiledCondition).toBe('(evt.type = connect and fd.sport in (0022, 443))');
  });

  it('substitutes a later list named by the items of an earlier one, and only delimited names', () => {
    // `outer` names `inner`, defined after it: the list expansion leaves the name, and the text
    // substitution of `inner` (later in order) replaces it in the inserted items. `proc.name` and
    // `inner_x` contain list names without being them.
    const r = load([
      {
        name: 'f.yaml',
        content: `
- list: outer
  items: [inner, c]
- list: inner
  items: [a, b]
- list: proc
  items: [z]
- rule: r
  desc: d
  condition: evt.type = open and proc.name in (outer) and proc.pname != inner_x
  output: o
  priority: INFO
`,
      },
    ]);
    expect(r.ruleset.rules[0]!.compiledCondition).toBe(
      '(evt.type = open and proc.name in (a, b, c) and proc.pname != inner_x)',
    );
  });

  it('decodes yaml-cpp booleans and the legacy integer engine version', () => {
    const r = load([
      {
        name: 'f.yaml',
        content:
          '- required_engine_version: 17\n- rule: r\n  desc: d\n  condition: evt.type = open\n  output: o\n  priority: INFO\n  enabled: "no"\n',
      },
    ]);
    expect(r.ok).toBe(true);
    expect(r.requiredEngineVersion).toBe('0.17.0');
    expect(r.ruleset.isEnabled('r')).toBe(false);
  });
});

describe('diagnostics carry exact ranges', () => {
  it('points a parse error into the condition text', () => {
    const content =
      '- rule: r\n  desc: d\n  condition: evt.type = open and proc.name = x )\n  output: o\n  priority: INFO\n';
    const r = load([{ name: 'f.yaml', content }]);
    const d = r.diagnostics[0]!;
    expect(d.code).toBe('LOAD_ERR_COMPILE_CONDITION');
    expect(d.severity).toBe('error');
    expect(d.itemType).toBe('rule');
    expect(d.itemName).toBe('r');
    expect(d.range.file).toBe('f.yaml');
    expect(d.range.start.line).toBe(3);
    expect(d.message).toBe("unexpected token after 'x', expecting 'or', 'and'");
    // Reported at the stray parenthesis.
    expect(content[d.range.start.offset]).toBe(')');
    expect(d.locations.map((l) => l.itemType)).toEqual([
      'rules content',
      'rule',
      'rule condition',
      'condition expression',
    ]);
  });

  it('points an undefined macro at the identifier', () => {
    const content =
      '- rule: r\n  desc: d\n  condition: >\n    evt.type = open and\n    not_a_macro\n  output: o\n  priority: INFO\n';
    const r = load([{ name: 'f.yaml', content }]);
    const d = r.diagnostics[0]!;
    expect(d.code).toBe('LOAD_ERR_VALIDATE');
    expect(d.message).toBe("Undefined macro 'not_a_macro' used in filter.");
    expect(d.range.start.line).toBe(5);
    expect(content.slice(d.range.start.offset, d.range.end.offset)).toBe('not_a_macro');
  });

  it('points an unknown field at the field, and at the rule condition when it comes from a macro', () => {
    const content =
      '- macro: m\n  condition: proc.nobody = x\n- rule: r\n  desc: d\n  condition: evt.type = open and proc.nobody = cat\n  output: o\n  priority: INFO\n';
    const d = load([{ name: 'f.yaml', content }]).diagnostics[0]!;
    expect(d.code).toBe('LOAD_ERR_COMPILE_CONDITION');
    expect(d.message).toContain('proc.nobody');
    expect(content.slice(d.range.start.offset, d.range.start.offset + 11)).toBe('proc.nobody');
    expect(d.range.start.line).toBe(5);
    const viaMacro = content.replace('proc.nobody = cat', 'm');
    const d2 = load([{ name: 'f.yaml', content: viaMacro }]).diagnostics[0]!;
    expect(d2.code).toBe('LOAD_ERR_COMPILE_CONDITION');
    expect(d2.locations.at(-1)!.itemType).toBe('rule condition');
  });

  it('points a missing key at the item', () => {
    const r = load([{ name: 'f.yaml', content: '- list: l\n' }]);
    expect(r.diagnostics[0]).toMatchObject({
      code: 'LOAD_ERR_YAML_VALIDATE',
      message: "Item has no mapping for key 'items'",
      itemType: 'list',
      itemName: 'l',
      range: { start: { line: 1, col: 3 } },
    });
  });
});

describe('rule summaries, diffs and environment overrides', () => {
  it('summarises rules with sorted tags and event types', () => {
    const s = summarizeRules(load([{ name: 'f.yaml', content: base }]).ruleset);
    expect(s.map((r) => [r.name, r.priority, r.tags, r.evttypes])).toEqual([
      ['shell', 'Warning', ['process', 'shell'], ['execve']],
      ['open_etc', 'Informational', [], ['open', 'openat']],
    ]);
  });

  it('diffs two versions, including changes that come from lists', () => {
    const before = load([{ name: 'f.yaml', content: base }]).ruleset;
    const after = load([
      {
        name: 'f.yaml',
        content: `${base.replace('items: [bash, sh]', 'items: [bash, sh, zsh]').replace('priority: info', 'priority: error')}
- rule: new_rule
  desc: n
  condition: evt.type = connect
  output: c
  priority: notice
`,
      },
    ]).ruleset;
    const d = diffRuleSets(before, after);
    expect(d.added.map((r) => r.name)).toEqual(['new_rule']);
    expect(d.removed).toEqual([]);
    expect(d.changed.map((c) => [c.name, c.changes])).toEqual([
      ['shell', ['condition']],
      ['open_etc', ['priority']],
    ]);
  });

  it('layers list and macro overrides as replacements loaded last', () => {
    const r = loadWithOverrides([{ name: 'f.yaml', content: base }], {
      lists: { shell_binaries: ['zsh', 'my shell'] },
      macros: { spawned: 'evt.type in (execve, execveat)' },
    });
    expect(r.ok).toBe(true);
    expect(r.ruleset.rules.find((x) => x.name === 'shell')!.compiledCondition).toBe(
      '(evt.type in (execve, execveat) and proc.name in (zsh, "my shell"))',
    );
    expect(overridesFile({ lists: { a: ['x'] } }).content).toContain('items: replace');
  });

  it('reports bad overrides as diagnostics in the overrides file', () => {
    const r = loadWithOverrides([{ name: 'f.yaml', content: base }], { macros: { spawned: 'evt.type = ' } });
    expect(r.ok).toBe(false);
    expect(r.diagnostics.at(-1)).toMatchObject({
      code: 'LOAD_ERR_COMPILE_CONDITION',
      range: { file: 'environment-overrides.yaml' },
    });
  });
});

describe('item ranges', () => {
  it('underline the item heading (start of item to end of its name)', () => {
    const content = '- macro: unused_one\n  condition: proc.name = x\n';
    const d = load([{ name: 'f.yaml', content }]).diagnostics[0]!;
    expect(d.code).toBe('LOAD_UNUSED_MACRO');
    expect(content.slice(d.range.start.offset, d.range.end.offset)).toBe('macro: unused_one');
  });
});

describe('multi-file compile passes', () => {
  const a = { name: 'a.yaml', content: '- list: shells\n  items: [bash]\n' };
  const b = {
    name: 'b.yaml',
    content:
      '- rule: r\n  desc: d\n  condition: evt.type = execve and proc.name in (shells) and proc.nobody = 1\n  output: o\n  priority: INFO\n  skip-if-unknown-filter: true\n',
  };

  it('compiles after every file by default, as Falco does', () => {
    const r = load([a, b]);
    // While loading a.yaml the list is not used yet: Falco reports it in a.yaml's result.
    expect(r.files[0]!.warnings.map((d) => d.code)).toEqual(['LOAD_UNUSED_LIST']);
    expect(r.files[1]!.warnings.map((d) => d.code)).toEqual(['LOAD_UNKNOWN_FILTER']);
  });

  it('compiles once with compileEachFile: false, attributing diagnostics to their files', () => {
    const r = load([a, b], { compileEachFile: false });
    expect(r.ok).toBe(true);
    expect(r.files[0]!.warnings).toEqual([]);
    expect(r.files[1]!.warnings.map((d) => d.code)).toEqual(['LOAD_UNKNOWN_FILTER']);
    expect(r.diagnostics.map((d) => `${d.range.file} ${d.code}`)).toEqual(['b.yaml LOAD_UNKNOWN_FILTER']);
  });
});

describe('file encodings', () => {
  it('accepts CRLF line ends and a leading byte-order mark, keeping positions on the file as written', () => {
    const content =
      '\ufeff- rule: r\r\n  desc: d\r\n  condition: evt.type = open and\r\n    proc.name = cat )\r\n  output: o\r\n  priority: INFO\r\n';
    const r = load([{ name: 'f.yaml', content }]);
    const d = r.diagnostics[0]!;
    expect(d.code).toBe('LOAD_ERR_COMPILE_CONDITION');
    expect(content[d.range.start.offset]).toBe(')');
    expect(d.range.start.line).toBe(4);
    const ok = load([{ name: 'f.yaml', content: content.replace(' )', '') }]);
    expect(ok.ok).toBe(true);
    expect(ok.ruleset.rules[0]!.compiledCondition).toBe('(evt.type = open and proc.name = cat)');
  });
});

describe('exception diagnostics', () => {
  it('point at the exception whose values break the condition or warn', () => {
    const content = `- rule: r
  desc: d
  condition: evt.type = execve
  output: o
  priority: INFO
  exceptions:
    - name: parents
      fields: [proc.pname]
      values:
        - [proc.name]
`;
    const r = load([{ name: 'f.yaml', content }]);
    const w = r.diagnostics.find((d) => d.code === 'LOAD_COMPILE_CONDITION')!;
    expect(w.message).toContain("'proc.name' may be a valid field misused as a const string value");
    expect(w.locations.some((l) => l.itemType === 'exception' && l.itemName === 'parents')).toBe(true);
    expect(content.slice(w.range.start.offset, w.range.start.offset + 14)).toBe('name: parents\n');
  });
});

describe('required_engine_version', () => {
  it('accepts versions up to Falco 0.44 (engine 0.62.0) and rejects newer ones', () => {
    expect(load([{ name: 'v.yaml', content: '- required_engine_version: 0.62.0\n' }]).ok).toBe(true);
    const r = load([{ name: 'v.yaml', content: '- required_engine_version: 0.63.0\n' }]);
    expect(r.diagnostics[0]).toMatchObject({
      code: 'LOAD_ERR_VALIDATE',
      message: 'Rules require engine version 0.63.0, but engine version is 0.62.0',
      itemType: 'required_engine_version',
    });
  });
});
