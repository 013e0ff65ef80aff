/**
 * A synthesised stand-in for falcosecurity/testing's `cat_write.scap` (`cat` starting, loading
 * its libraries and opening, reading and writing /dev/null), as SyscallEvents. It has the shape
 * the end-to-end assertions count: one execve, eight `open`s (one of /dev/null), one `access`,
 * and six further events on the /dev/null descriptor.
 */
import type { FdInfo, ProcessInfo, SyscallEvent } from '../../events/syscall-event.js';

const BASE_NS = 1_470_327_477_881_781_397n;

const shell: ProcessInfo = {
  pid: 4000,
  name: 'bash',
  exe: 'bash',
  exepath: '/usr/bin/bash',
  args: [],
  uid: 0,
  user: 'root',
};
const cat: ProcessInfo = {
  pid: 4242,
  tid: 4242,
  vpid: 4242,
  ppid: 4000,
  name: 'cat',
  exe: 'cat',
  exepath: '/usr/bin/cat',
  args: ['/dev/null'],
  cwd: '/root/',
  tty: 34817,
  uid: 0,
  gid: 0,
  user: 'root',
  group: 'root',
  loginuid: 0,
  ancestors: [shell],
};

const libs = [
  '/etc/ld.so.cache',
  '/lib/x86_64-linux-gnu/libc.so.6',
  '/usr/lib/locale/locale-archive',
  '/usr/share/locale/locale.alias',
  '/usr/lib/locale/C.UTF-8/LC_CTYPE',
  '/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache',
  '/etc/nsswitch.conf',
];

let num = 0;
function ev(type: string, args: Array<[string, string]>, fd?: FdInfo, res = 0): SyscallEvent {
  num++;
  const e: SyscallEvent = {
    source: 'syscall',
    num,
    ts: String(BASE_NS + BigInt(num) * 1000n),
    type,
    dir: '<',
    res,
    args,
    hostname: 'test-falco-hostname',
    proc: cat,
  };
  if (fd) e.fd = fd;
  return e;
}

function file(num: number, name: string, flags = 'O_RDONLY|O_CLOEXEC'): FdInfo {
  return { num, type: 'file', name, nameraw: name, openFlags: flags };
}

const devNull = file(3, '/dev/null', 'O_RDONLY');

export const catWriteEvents: SyscallEvent[] = [
  ev('execve', [
    ['res', '0'],
    ['exe', 'cat'],
    ['args', '/dev/null'],
    ['tid', '4242'],
    ['pid', '4242'],
    ['ptid', '4000'],
    ['cwd', '/root/'],
  ]),
  ...libs.map((name, i) =>
    ev(
      'open',
      [
        ['fd', String(3 + i)],
        ['name', name],
        ['flags', 'O_RDONLY|O_CLOEXEC'],
        ['mode', '0'],
      ],
      file(3 + i, name),
    ),
  ),
  ev(
    'access',
    [
      ['res', 'ENOENT'],
      ['name', '/etc/ld.so.preload'],
      ['mode', 'R_OK'],
    ],
    undefined,
    -2,
  ),
  ev(
    'open',
    [
      ['fd', '3'],
      ['name', '/dev/null'],
      ['flags', 'O_RDONLY'],
      ['mode', '0'],
    ],
    devNull,
  ),
  ev('fstat', [['res', '0']], devNull),
  ev(
    'read',
    [
      ['res', '0'],
      ['data', ''],
    ],
    devNull,
  ),
  ev('lseek', [['res', '0']], devNull),
  ev(
    'write',
    [
      ['res', '0'],
      ['data', ''],
    ],
    devNull,
  ),
  ev('fcntl', [['res', '0']], devNull),
  ev('close', [['res', '0']], devNull),
];
