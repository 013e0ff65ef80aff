/**
 * Evaluation throughput of compiled conditions over structured syscall events (target: about
 * 1M checks of a typical rule per second per core). Run with `npx vitest bench --run`.
 */
import { bench, describe } from 'vitest';
import type { SyscallEvent } from '../events/syscall-event.js';
import { createSyscallSource } from '../sources/syscall/source.js';
import { compileCondition } from './compiler.js';
import { parseCondition } from './parser.js';

const source = createSyscallSource();

const event: SyscallEvent = {
  ts: '1700000000000000000',
  type: 'openat',
  dir: '<',
  res: 3,
  args: [
    ['fd', '3'],
    ['dirfd', 'AT_FDCWD'],
    ['name', '/etc/shadow'],
    ['flags', 'O_RDWR|O_CREAT'],
    ['mode', '0644'],
  ],
  proc: {
    pid: 4242,
    name: 'python3',
    exe: '/usr/bin/python3',
    exepath: '/usr/bin/python3.11',
    args: ['-c', 'import os'],
    cwd: '/root/',
    uid: 0,
    user: 'root',
    ancestors: [
      { pid: 4000, name: 'bash' },
      { pid: 1, name: 'systemd' },
    ],
  },
  fd: { num: 3, type: 'file', name: '/etc/shadow', openFlags: 'O_RDWR|O_CREAT' },
};

function compile(text: string) {
  return compileCondition(parseCondition(text, { maxDepth: 1000 }), source).filter;
}

const typicalRule = compile(
  "evt.type in (open, openat, openat2) and evt.is_open_write = true and fd.typechar = 'f' and fd.num >= 0 " +
    'and (fd.name startswith /etc or fd.name pmatch (/usr/bin, /usr/sbin, /bin)) ' +
    'and not proc.name in (dpkg, rpm, yum, apt, apt-get, pip, npm, systemd, sshd, chef-client) ' +
    'and not proc.aname in (dpkg, rpm, yum)',
);
const stringHeavy = compile(
  'proc.cmdline icontains "import os" and fd.name glob "/etc/*sha*" and proc.exepath endswith python3.11',
);
const earlyFalse = compile('evt.type = execve and proc.name = bash');

// Benchmarks of filters that silently fail to match would measure nothing.
if (!typicalRule(event) || !stringHeavy(event) || earlyFalse(event)) {
  throw new Error('benchmark conditions do not evaluate as intended');
}

describe('compiled condition evaluation', () => {
  bench('typical file-open rule (true)', () => {
    typicalRule(event);
  });
  bench('string operators (icontains, glob, endswith)', () => {
    stringHeavy(event);
  });
  bench('short-circuit on evt.type', () => {
    earlyFalse(event);
  });
});
