import { describe, expect, it } from 'vitest';
import { load } from './load.js';
import { appendRuleTest, formatRuleTest, parseRuleTests, runRuleTests } from './rule-tests.js';
import { formatJunit } from './rule-tests-junit.js';

const RULES = `
- rule: Shell reads shadow
  desc: a shell reads the shadow file
  condition: evt.type = openat and fd.name = /etc/shadow and proc.name = bash
  output: shadow read by %proc.name (file=%fd.name)
  priority: ERROR
- rule: Shadow opened
  desc: anything opens the shadow file
  condition: evt.type = openat and fd.name = /etc/shadow
  output: shadow opened by %proc.name
  priority: WARNING
- rule: Disabled rule
  desc: never runs
  condition: evt.type = execve
  output: exec %proc.name
  priority: INFO
  enabled: false
`;

function ruleset(ruleMatching: 'first' | 'all' = 'first') {
  const loaded = load([{ name: 'rules.yaml', content: RULES }], { ruleMatching });
  expect(loaded.ok).toBe(true);
  return loaded.ruleset;
}

const TESTS = `
- test: cat reading shadow
  event: {evt.type: openat, fd.name: /etc/shadow, proc.name: cat}
  expect:
    - rule: Shadow opened
      priority: warning
      output: shadow opened by cat
- test: ls is quiet
  event: {evt.type: execve, proc.name: ls}
  expect: []
- test: bash reading shadow raises both
  event: {evt.type: openat, fd.name: /etc/shadow, proc.name: bash}
  expect:
    - rule: Shell reads shadow
      output_contains: file=/etc/shadow
    - Shadow opened
`;

describe('rule tests', () => {
  it('reads cases with their lines and runs them as the rule set is configured', () => {
    const parsed = parseRuleTests({ name: 'tests/shadow.yaml', content: TESTS });
    expect(parsed.problems).toEqual([]);
    expect(parsed.cases.map((c) => [c.name, c.source, c.range.start.line])).toEqual([
      ['cat reading shadow', 'syscall', 2],
      ['ls is quiet', 'syscall', 8],
      ['bash reading shadow raises both', 'syscall', 11],
    ]);

    const all = runRuleTests(ruleset('all'), parsed.cases);
    expect(all.map((r) => [r.case.name, r.passed, r.failures])).toEqual([
      ['cat reading shadow', true, []],
      ['ls is quiet', true, []],
      ['bash reading shadow raises both', true, []],
    ]);

    // Falco's default rule_matching: first stops at the first rule: the second rule is shadowed.
    const first = runRuleTests(ruleset('first'), parsed.cases);
    expect(first[2]?.passed).toBe(false);
    expect(first[2]?.failures).toEqual(["expected 'Shadow opened' to fire; it did not"]);
    expect(first[2]?.fired.map((a) => a.rule)).toEqual(['Shell reads shadow']);
  });

  it('fails on a wrong output, priority, an unexpected alert, an unknown or disabled rule', () => {
    const parsed = parseRuleTests({
      name: 't.yaml',
      content: `
- test: wrong
  event: {evt.type: openat, fd.name: /etc/shadow, proc.name: cat}
  expect:
    - rule: Shadow opened
      priority: critical
      output: shadow opened by dog
- test: surprise
  event: {evt.type: openat, fd.name: /etc/shadow, proc.name: cat}
  expect: []
- test: typo and disabled
  event: {evt.type: execve, proc.name: ls}
  expect: [Shadow opend, Disabled rule]
`,
    });
    expect(parsed.problems).toEqual([]);
    const results = runRuleTests(ruleset(), parsed.cases);
    expect(results.map((r) => r.failures)).toEqual([
      [
        "'Shadow opened' fired with priority Warning, expected Critical",
        `'Shadow opened' output was "shadow opened by cat", expected "shadow opened by dog"`,
      ],
      ["'Shadow opened' fired, but the test does not expect it"],
      ["no rule named 'Shadow opend' in the rule set", "rule 'Disabled rule' is disabled"],
    ]);
  });

  it('reports bad cases with their line and still runs the good ones', () => {
    const parsed = parseRuleTests({
      name: 'bad.yaml',
      content: `
- test: good
  event: {evt.type: execve}
  expect: []
- event: {evt.type: execve}
  expect: []
- test: no expect
  event: {evt.type: execve}
- test: bad source
  source: kernel
  event: {}
  expect: []
- test: extra
  event: {}
  expect: []
  expected: []
- test: good
  event: {}
  expect: []
- test: bad priority
  event: {}
  expect: [{rule: x, priority: loud}]
- just a string
`,
    });
    expect(parsed.cases.map((c) => c.name)).toEqual(['good']);
    expect(parsed.problems.map((p) => [p.range.start.line, p.message])).toEqual([
      [5, 'A test case needs a name: `test: <what it shows>`.'],
      [7, "Test 'no expect': `expect` is missing (a list of rules that fire; [] for none)."],
      [9, expect.stringContaining('Test \'bad source\': unknown source "kernel"')],
      [13, "Test 'extra': unknown key(s) expected (allowed: test, source, event, expect)."],
      [17, "Test 'good' is defined twice in this file."],
      [20, `Test 'bad priority': "loud" is not a Falco priority.`],
      [23, 'A test case is a map with `test`, `event` and `expect`.'],
    ]);
  });

  it('reports files that are not YAML, not a list, or empty', () => {
    expect(parseRuleTests({ name: 'a.yaml', content: '- test: [unclosed' }).problems[0]?.message).toMatch(
      /^Not valid YAML/,
    );
    expect(parseRuleTests({ name: 'b.yaml', content: 'test: x' }).problems[0]?.message).toMatch(/is a list/);
    expect(parseRuleTests({ name: 'c.yaml', content: '' }).problems[0]?.message).toBe(
      'The file holds no test cases.',
    );
    expect(parseRuleTests({ name: 'd.yaml', content: '# nothing\n' }).problems[0]?.message).toBe(
      'The file holds no test cases.',
    );
  });

  it('writes JUnit XML with failures, errors and escaped text', () => {
    const parsed = parseRuleTests({
      name: 'x<&>.yaml',
      content: `
- test: "quote \\" and <tag> and \\x01"
  event: {evt.type: openat, fd.name: /etc/shadow, proc.name: cat}
  expect: []
- test: passes
  event: {evt.type: execve}
  expect: []
- 7
`,
    });
    const xml = formatJunit([
      { name: 'x<&>.yaml', results: runRuleTests(ruleset(), parsed.cases), problems: parsed.problems },
    ]);
    expect(xml).toContain('<testsuites name="peregrine rules test" tests="3" failures="1" errors="1">');
    expect(xml).toContain('<testsuite name="x&lt;&amp;&gt;.yaml" tests="3" failures="1" errors="1">');
    expect(xml).toContain('name="quote &quot; and &lt;tag&gt; and \uFFFD"');
    expect(xml).toContain(`<failure message="'Shadow opened' fired, but the test does not expect it">`);
    expect(xml).toContain(
      '<testcase classname="x&lt;&amp;&gt;.yaml" name="passes" file="x&lt;&amp;&gt;.yaml" line="5"/>',
    );
    expect(xml).toContain('<error message="A test case is a map');
    // Every element opened is closed.
    expect(xml.match(/<testcase /g)?.length).toBe(3);
    expect((xml.match(/<\/testcase>/g)?.length ?? 0) + (xml.match(/\/>/g)?.length ?? 0)).toBe(3);
  });

  it('writes a case that reads back as given and passes, and appends it under a unique name', () => {
    const written = formatRuleTest(
      {
        name: 'From alert 42',
        source: 'syscall',
        event: {
          'evt.type': 'openat',
          'fd.name': '/etc/shadow',
          'proc.name': 'cat',
          'proc.pid': 7,
          'x.mode': '0755',
        },
        expect: [{ rule: 'Shadow opened', priority: 'Warning', output: 'shadow opened by cat' }],
      },
      'Alert 42 in Production\nthe stored event',
    );
    expect(written).toBe(
      [
        '# Alert 42 in Production',
        '# the stored event',
        '- test: From alert 42',
        '  source: syscall',
        '  event:',
        '    evt.type: openat',
        '    fd.name: /etc/shadow',
        '    proc.name: cat',
        '    proc.pid: 7',
        '    x.mode: "0755"',
        '  expect:',
        '    - rule: Shadow opened',
        '      priority: WARNING',
        '      output: shadow opened by cat',
        '',
      ].join('\n'),
    );
    const file = { name: 'tests/alerts.yaml', content: TESTS.trimStart() };
    const first = appendRuleTest(file, {
      name: 'ls is quiet',
      source: 'syscall',
      event: { 'evt.type': 'execve', 'proc.name': 'ls' },
      expect: [],
    });
    expect(first.name).toBe('ls is quiet (2)');
    const second = appendRuleTest(
      { ...file, content: first.content },
      {
        name: 'ls is quiet',
        source: 'syscall',
        event: { 'evt.type': 'execve', 'proc.name': 'ls' },
        expect: [],
      },
    );
    expect(second.name).toBe('ls is quiet (3)');
    const appended = appendRuleTest(
      { ...file, content: second.content },
      {
        name: 'From alert 42',
        source: 'syscall',
        event: { 'evt.type': 'openat', 'fd.name': '/etc/shadow', 'proc.name': 'cat' },
        expect: [{ rule: 'Shadow opened', priority: 'Warning', output: 'shadow opened by cat' }],
      },
    );
    const parsed = parseRuleTests({ ...file, content: appended.content });
    expect(parsed.problems).toEqual([]);
    expect(parsed.cases.map((c) => c.name)).toEqual([
      'cat reading shadow',
      'ls is quiet',
      'bash reading shadow raises both',
      'ls is quiet (2)',
      'ls is quiet (3)',
      'From alert 42',
    ]);
    expect(parsed.cases.at(-1)?.expect).toEqual([
      { rule: 'Shadow opened', priority: 'Warning', output: 'shadow opened by cat' },
    ]);
    const added = parsed.cases.slice(-3);
    expect(runRuleTests(ruleset(), added).map((r) => r.failures)).toEqual([[], [], []]);
    // A case whose rule no longer fires fails: the written expectation is not vacuous.
    const quiet = parseRuleTests({
      name: 'tests/x.yaml',
      content: formatRuleTest({
        name: 'x',
        source: 'syscall',
        event: { 'evt.type': 'openat', 'fd.name': '/etc/passwd', 'proc.name': 'cat' },
        expect: [{ rule: 'Shadow opened', priority: 'Warning', output: 'shadow opened by cat' }],
      }),
    });
    expect(runRuleTests(ruleset(), quiet.cases)[0]?.failures).toEqual([
      "expected 'Shadow opened' to fire; it did not",
    ]);
  });
});
