import { describe, expect, expectTypeOf, it } from 'vitest';
// Type-only, test-only: proves the wire schema and the engine's interface describe the same shape.
import type { SyscallEvent } from '../../engine/src/events/syscall-event.js';
import { SyscallEventSchema, type WireSyscallEvent } from './sensor-event.js';

const openat: SyscallEvent = {
  source: 'syscall',
  num: 7,
  ts: '1763913600123456789',
  type: 'openat',
  dir: '<',
  res: 3,
  args: [
    ['fd', '3'],
    ['dirfd', '-100'],
    ['name', '/etc/shadow'],
    ['flags', 'O_RDONLY|O_CLOEXEC'],
    ['mode', '0'],
  ],
  hostname: 'node-1',
  proc: {
    pid: 42,
    tid: 42,
    ppid: 1,
    name: 'cat',
    exe: 'cat',
    exepath: '/usr/bin/cat',
    args: ['/etc/shadow'],
    cwd: '/root/',
    tty: 34816,
    uid: 0,
    user: 'root',
    loginuid: -1,
    ancestors: [{ pid: 1, name: 'bash', ancestors: [] }],
  },
  fd: { num: 3, type: 'file', name: '/etc/shadow', openFlags: 'O_RDONLY|O_CLOEXEC' },
  container: { id: 'a'.repeat(64), type: 'docker' },
  k8s: { podName: 'web-0', namespace: 'default', labels: { app: 'web' } },
};

describe('SyscallEventSchema', () => {
  it('is the same shape as the engine SyscallEvent, both ways', () => {
    expectTypeOf<WireSyscallEvent>().toExtend<SyscallEvent>();
    expectTypeOf<SyscallEvent>().toExtend<WireSyscallEvent>();
  });

  it('accepts a full event and keeps argument order', () => {
    const parsed = SyscallEventSchema.parse(openat);
    expect(parsed.args.map(([name]) => name)).toEqual(['fd', 'dirfd', 'name', 'flags', 'mode']);
    expect(parsed.proc.ancestors?.[0]?.name).toBe('bash');
  });

  it('rejects a numeric timestamp, an unknown direction and an unknown fd type', () => {
    expect(SyscallEventSchema.safeParse({ ...openat, ts: 1 }).success).toBe(false);
    expect(SyscallEventSchema.safeParse({ ...openat, dir: '<>' }).success).toBe(false);
    expect(SyscallEventSchema.safeParse({ ...openat, fd: { num: 1, type: 'socket' } }).success).toBe(false);
  });
});
