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
    expect(verdict.summary).toEqual({ rules: 1, enabledRules: 1, macros: 0, lists: 1, sources: ['syscall'] });
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
