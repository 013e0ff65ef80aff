import { describe, expect, it } from 'vitest';
import { judgeRuleFiles } from './verdict.js';

const good = `- list: shells
  items: [bash, sh]
- rule: Shell spawned
  desc: a shell
  condition: evt.type = execve and proc.name in (shells)
  output: shell %proc.name
  priority: WARNING
`;

describe('judgeRuleFiles', () => {
  it('marks compiling files valid and counts what they define', () => {
    const verdict = judgeRuleFiles([{ name: 'a.yaml', content: good }]);
    expect(verdict.status).toBe('valid');
    expect(verdict.summary).toEqual({
      rules: 1,
      enabledRules: 1,
      macros: 0,
      lists: 1,
      sources: ['syscall'],
      tests: { total: 0, passed: 0, failed: 0, problems: 0, failures: [] },
    });
  });

  it('runs the version’s tests/ files against its rules and never loads them as rules', () => {
    const tests = `- test: bash is a shell
  event: {evt.type: execve, proc.name: bash}
  expect: [Shell spawned]
- test: ls is not
  event: {evt.type: execve, proc.name: ls}
  expect: [Shell spawned]
- broken
`;
    const verdict = judgeRuleFiles([
      { name: 'a.yaml', content: good },
      { name: 'tests/shell.yaml', content: tests },
    ]);
    expect(verdict.status).toBe('valid');
    expect(verdict.diagnostics).toEqual([]);
    expect(verdict.summary.tests).toEqual({
      total: 3,
      passed: 1,
      failed: 1,
      problems: 1,
      failures: [
        {
          file: 'tests/shell.yaml',
          line: 7,
          test: '',
          reasons: ['A test case is a map with `test`, `event` and `expect`.'],
        },
        {
          file: 'tests/shell.yaml',
          line: 4,
          test: 'ls is not',
          reasons: ["expected 'Shell spawned' to fire; it did not"],
        },
      ],
    });
    // Rules that do not load run no test.
    const broken = judgeRuleFiles([
      { name: 'a.yaml', content: good.replace('proc.name in', 'proc.nme in') },
      { name: 'tests/shell.yaml', content: tests },
    ]);
    expect(broken.summary.tests).toBeUndefined();
  });

  it('marks files with errors as drafts and keeps the error position', () => {
    const bad = good.replace('proc.name in', 'proc.nme in');
    const verdict = judgeRuleFiles([{ name: 'a.yaml', content: bad }]);
    expect(verdict.status).toBe('draft');
    const error = verdict.diagnostics.find((d) => d.severity === 'error');
    expect(error).toMatchObject({
      code: 'LOAD_ERR_COMPILE_CONDITION',
      file: 'a.yaml',
      line: 5,
      itemName: 'Shell spawned',
    });
  });
});
