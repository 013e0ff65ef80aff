import { describe, expect, it } from 'vitest';
import { generateBpftraceProgram } from './bpftrace-program.js';
import { SYSCALL_SPECS } from './syscall-specs.js';

describe('generateBpftraceProgram', () => {
  it('traces every spec at entry and exit, and process exit', () => {
    const program = generateBpftraceProgram({ sensorPid: 4321 });
    for (const spec of SYSCALL_SPECS) {
      expect(program).toContain(`tracepoint:syscalls:sys_enter_${spec.name} `);
      expect(program).toContain(`tracepoint:syscalls:sys_exit_${spec.name} `);
    }
    expect(program).toContain('tracepoint:sched:sched_process_exit');
    expect(program).toContain('@sensor[0] = 4321');
  });

  it('reports a successful execveat, which exits through sys_exit_execve, under the exec it entered', () => {
    const program = generateBpftraceProgram({ eventTypes: new Set(['execve', 'execveat']) });
    const code = SYSCALL_SPECS.findIndex((spec) => spec.name === 'execveat') + 1;
    expect(program).toContain(`tracepoint:syscalls:sys_exit_execve /@xn[pid] == ${code}/ { $t = `);
    expect(program).toContain(`tracepoint:syscalls:sys_exit_execveat /@xn[pid] == ${code}/ { $t = `);
    // Datagram syscalls are kept only for IP sockets other than TCP, decided at entry.
    const dgram = generateBpftraceProgram({ eventTypes: new Set(['sendto']) });
    expect(dgram).toMatch(/sys_enter_sendto [^\n]*\$sk->sk_protocol != 6\) \{ @nr\[tid\]/);
  });

  it('leaves out unselected and unavailable syscalls', () => {
    const program = generateBpftraceProgram({
      eventTypes: new Set(['openat', 'execve', 'open']),
      available: new Set(['openat', 'execve']),
    });
    expect(program).toContain('sys_enter_openat ');
    expect(program).toContain('sys_enter_execve ');
    expect(program).not.toContain('sys_enter_open ');
    expect(program).not.toContain('sys_enter_connect');
    expect(program).not.toContain('@xd[');
  });
});
