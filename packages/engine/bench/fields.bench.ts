/**
 * Extractor throughput on the syscall hot path (target: 1M events/s-class evaluation, so a
 * single extraction must cost well under 100 ns). Run: `npx vitest bench bench/fields.bench.ts`.
 */
import { bench, describe } from 'vitest';
import type { SyscallEvent } from '../src/events/syscall-event.js';
import { createSyscallSource } from '../src/sources/syscall/source.js';

const src = createSyscallSource();

function event(i: number): SyscallEvent {
  return {
    ts: String(1_700_000_000_000_000_000n + BigInt(i)),
    type: i % 2 === 0 ? 'openat' : 'connect',
    dir: '<',
    res: 3,
    args: [
      ['fd', '3'],
      ['dirfd', '-100'],
      ['name', '/etc/passwd'],
      ['flags', 'O_RDONLY|O_CLOEXEC'],
      ['mode', '0'],
    ],
    proc: {
      pid: 100 + i,
      name: 'cat',
      exe: 'cat',
      exepath: '/usr/bin/cat',
      args: ['/etc/passwd'],
      ancestors: [
        { pid: 99, name: 'bash' },
        { pid: 1, name: 'systemd' },
      ],
    },
    fd: {
      num: 3,
      type: i % 2 === 0 ? 'file' : 'ipv4',
      name: '/etc/passwd',
      cip: '10.0.0.1',
      sip: '10.0.0.2',
      cport: 5000,
      sport: 443,
    },
  };
}

const events = Array.from({ length: 1024 }, (_, i) => event(i));
const fields: Array<[string, string | undefined]> = [
  ['evt.type', undefined],
  ['proc.name', undefined],
  ['proc.cmdline', undefined],
  ['proc.aname', '1'],
  ['proc.aname', undefined],
  ['fd.name', undefined],
  ['fd.sip', undefined],
  ['evt.arg', 'flags'],
  ['evt.is_open_read', undefined],
  ['container.id', undefined],
];

describe('syscall extractors', () => {
  for (const [name, arg] of fields) {
    const { extract } = src.bind(name, arg);
    bench(`${name}${arg === undefined ? '' : `[${arg}]`} x1024`, () => {
      for (let i = 0; i < events.length; i++) extract(events[i]);
    });
  }
});
