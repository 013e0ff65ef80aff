/**
 * A synthesised stand-in for falcosecurity/testing's `open_multiple_files.scap`: one process
 * opening /tmp/file-1 ... /tmp/file-13 for reading, once each (what its tag-selection tests count).
 */
import type { SyscallEvent } from '../../events/syscall-event.js';

const BASE_NS = 1_470_327_477_881_781_397n;

export const openMultipleFilesEvents: SyscallEvent[] = Array.from({ length: 13 }, (_, i) => {
  const name = `/tmp/file-${i + 1}`;
  return {
    source: 'syscall',
    num: i + 1,
    ts: String(BASE_NS + BigInt(i) * 1000n),
    type: 'openat',
    dir: '<',
    res: 3 + i,
    args: [
      ['fd', String(3 + i)],
      ['dirfd', 'AT_FDCWD'],
      ['name', name],
      ['flags', 'O_RDONLY'],
      ['mode', '0'],
    ],
    proc: {
      pid: 5151,
      name: 'python3',
      exe: 'python3',
      exepath: '/usr/bin/python3',
      args: ['open_files.py'],
      uid: 0,
      user: 'root',
    },
    fd: { num: 3 + i, type: 'file', name, nameraw: name, openFlags: 'O_RDONLY' },
  };
});
