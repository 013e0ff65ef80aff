import { describe, expect, it } from 'vitest';
import { defaultSampleSource, ruleAtLine } from './run-sample-events';

const SYSCALL_FILE = `- macro: spawned_process
  condition: evt.type = execve

- rule: Shell in container
  desc: a shell
  condition: spawned_process and proc.name = bash
  output: shell (user=%user.name)
  priority: WARNING

- rule: "CloudTrail root login"
  source: aws_cloudtrail
  desc: root
  condition: ct.user = root
  output: root login
  priority: ERROR
`;

describe('the test panel follows the rule under the cursor', () => {
  it('finds the rule whose item holds a line, with its source', () => {
    expect(ruleAtLine(SYSCALL_FILE, 6)).toEqual({ name: 'Shell in container', source: 'syscall' });
    expect(ruleAtLine(SYSCALL_FILE, 13)).toEqual({ name: 'CloudTrail root login', source: 'aws_cloudtrail' });
    expect(ruleAtLine(SYSCALL_FILE, 2)).toBeNull();
  });

  it('prefers the loaded source, falls back to the file’s first rule, then to syscall', () => {
    expect(defaultSampleSource(SYSCALL_FILE, 13, [])).toBe('aws_cloudtrail');
    expect(defaultSampleSource(SYSCALL_FILE, 5, [{ name: 'Shell in container', source: 'k8s_audit' }])).toBe(
      'k8s_audit',
    );
    expect(defaultSampleSource(SYSCALL_FILE, 1, [])).toBe('syscall');
    expect(defaultSampleSource(SYSCALL_FILE, null, [])).toBe('syscall');
    expect(defaultSampleSource('- list: x\n  items: []\n', 1, [])).toBe('syscall');
  });
});
