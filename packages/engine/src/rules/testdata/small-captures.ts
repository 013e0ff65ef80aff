/**
 * Synthesised stand-ins for two small falcosecurity/testing captures:
 * - `syscall.scap`: a program calling madvise twice and opening /dev/null twice, among other
 *   calls;
 * - `connect_localhost.scap`: a client connecting to a server on 127.0.0.1.
 */
import type { ProcessInfo, SyscallEvent } from '../../events/syscall-event.js';

const BASE_NS = 1_470_327_477_881_781_397n;

function stream(proc: ProcessInfo, events: Omit<SyscallEvent, 'ts' | 'dir' | 'proc'>[]): SyscallEvent[] {
  return events.map((e, i) => ({
    ts: String(BASE_NS + BigInt(i) * 1000n),
    dir: '<',
    proc,
    num: i + 1,
    ...e,
  }));
}

const tester: ProcessInfo = {
  pid: 777,
  name: 'test-syscalls',
  exe: './test-syscalls',
  args: [],
  uid: 0,
  user: 'root',
};
const devNull = {
  num: 3,
  type: 'file' as const,
  name: '/dev/null',
  nameraw: '/dev/null',
  openFlags: 'O_RDONLY',
};

export const syscallEvents: SyscallEvent[] = stream(tester, [
  { type: 'brk', res: 0, args: [['res', '0']] },
  { type: 'madvise', res: 0, args: [['res', '0']] },
  {
    type: 'open',
    res: 3,
    args: [
      ['fd', '3'],
      ['name', '/dev/null'],
      ['flags', 'O_RDONLY'],
      ['mode', '0'],
    ],
    fd: devNull,
  },
  { type: 'close', res: 0, args: [['res', '0']], fd: devNull },
  { type: 'madvise', res: 0, args: [['res', '0']] },
  {
    type: 'open',
    res: 3,
    args: [
      ['fd', '3'],
      ['name', '/dev/null'],
      ['flags', 'O_RDONLY'],
      ['mode', '0'],
    ],
    fd: devNull,
  },
  {
    type: 'openat',
    res: 4,
    args: [
      ['fd', '4'],
      ['dirfd', 'AT_FDCWD'],
      ['name', '/etc/passwd'],
      ['flags', 'O_RDONLY'],
    ],
    fd: { num: 4, type: 'file', name: '/etc/passwd' },
  },
]);

const client: ProcessInfo = {
  pid: 888,
  name: 'nc',
  exe: 'nc',
  args: ['127.0.0.1', '8080'],
  uid: 1000,
  user: 'dev',
  loginuid: 1000,
};

export const connectLocalhostEvents: SyscallEvent[] = stream(client, [
  { type: 'socket', res: 3, args: [['fd', '3']] },
  {
    type: 'connect',
    res: 0,
    args: [
      ['res', '0'],
      ['tuple', '127.0.0.1:48000->127.0.0.1:8080'],
      ['fd', '3'],
    ],
    fd: {
      num: 3,
      type: 'ipv4',
      l4proto: 'tcp',
      cip: '127.0.0.1',
      cport: 48000,
      sip: '127.0.0.1',
      sport: 8080,
      name: '127.0.0.1:48000->127.0.0.1:8080',
      isClient: true,
      connected: true,
    },
  },
]);
