import { describe, expect, it } from 'vitest';
import {
  ALL_EVENT_CODES,
  EVENTS,
  eventTypeCodes,
  eventTypeName,
  isKnownEventType,
  isKnownParam,
  paramFieldType,
  paramNamesOf,
} from './event-types.js';

describe('syscall event table', () => {
  it('numbers events as libs do: enter even, exit odd, up to PPME 425', () => {
    expect(eventTypeName(2)).toBe('open');
    expect(eventTypeName(3)).toBe('open');
    expect(eventTypeName(18)).toBe('socket');
    expect(eventTypeName(293)).toBe('execve');
    expect(eventTypeName(322)).toBe('pluginevent');
    expect(eventTypeName(334)).toBe('clone3');
    expect(eventTypeName(424)).toBe('delete_module');
    expect(eventTypeName(425)).toBe('delete_module');
    expect(eventTypeName(426)).toBeUndefined();
    // Unused exit halves of tracepoints/meta events have no name.
    expect(eventTypeName(187)).toBeUndefined();
  });

  it('maps a name to every version of its event, enter and exit', () => {
    expect(eventTypeCodes('open')).toEqual([2, 3]);
    const execve = eventTypeCodes('execve');
    expect(execve).toContain(292);
    expect(execve).toContain(293);
    expect(execve.length).toBeGreaterThanOrEqual(12);
    expect(eventTypeCodes('procexit')).toEqual([16, 186]);
    expect(eventTypeCodes('accept')).toContain(246);
  });

  it('maps syscalls without a dedicated event to the generic pair', () => {
    expect(isKnownEventType('kcmp')).toBe(true);
    expect(eventTypeCodes('kcmp')).toEqual([0, 1]);
    expect(eventTypeCodes('mlock2')).toEqual([370, 371]);
  });

  it('knows syscalls and non-syscall events, rejects unknown names', () => {
    for (const n of [
      'open',
      'openat',
      'openat2',
      'execve',
      'execveat',
      'connect',
      'procexit',
      'container',
      'switch',
      'signaldeliver',
      'ptrace',
      'memfd_create',
      'init_module',
      'finit_module',
      'pidfd_getfd',
      'process_vm_writev',
      'newfstatat',
      'io_uring_setup',
      'userfaultfd',
    ]) {
      expect(isKnownEventType(n), n).toBe(true);
    }
    for (const n of ['some_invalid_event', 'Open', '', 'NA']) {
      expect(isKnownEventType(n), n).toBe(false);
      expect(eventTypeCodes(n)).toEqual([]);
    }
  });

  it('all event codes exceed the 100-code warning threshold by far', () => {
    expect(ALL_EVENT_CODES.length).toBeGreaterThan(300);
    expect(new Set(ALL_EVENT_CODES).size).toBe(ALL_EVENT_CODES.length);
    expect(EVENTS.every((e) => e.name !== '' && !e.name.startsWith('NA'))).toBe(true);
  });

  it('knows parameter names and their first declared types', () => {
    expect(isKnownParam('flags')).toBe(true);
    expect(isKnownParam('trusted_exepath')).toBe(true);
    expect(isKnownParam('nosuch')).toBe(false);
    expect(paramFieldType('res')).toBe('ERRNO');
    expect(paramFieldType('fd')).toBe('FD');
    expect(paramFieldType('name')).toBe('FSPATH');
    expect(paramFieldType('tuple')).toBeUndefined();
    expect(paramNamesOf('openat')).toEqual(
      expect.arrayContaining(['fd', 'dirfd', 'name', 'flags', 'mode', 'dev']),
    );
    expect(paramNamesOf('execve')).toEqual(
      expect.arrayContaining(['exe', 'args', 'cwd', 'env', 'exe_ino_ctime', 'trusted_exepath']),
    );
  });
});
