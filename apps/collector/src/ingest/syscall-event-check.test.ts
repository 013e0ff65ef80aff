import { SyscallEventSchema } from '@peregrine/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidSyscallEvent } from './syscall-event-check.js';

const junk = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -70_000, max: 70_000 }),
  fc.double(),
  fc.constant(2 ** 60),
  fc.string({ maxLength: 4 }),
  fc.constantFrom('', '123', '<', 'file', 'tcp', 'syscall', '999999999999999999999'),
  fc.array(fc.string({ maxLength: 2 }), { maxLength: 3 }),
  fc.constant([['a', 'b']]),
  fc.constant({}),
  fc.constant({ pid: 1, name: 'x' }),
  fc.constant({ id: 'c' }),
);

const ns = fc.bigInt({ min: 0n, max: 10n ** 19n }).map(String);
const proc = fc.record(
  {
    pid: fc.integer(),
    name: fc.string({ maxLength: 5 }),
    ppid: fc.integer(),
    exe: fc.string({ maxLength: 5 }),
    args: fc.array(fc.string({ maxLength: 3 }), { maxLength: 3 }),
    tty: fc.integer(),
    uid: fc.integer(),
    user: fc.string({ maxLength: 3 }),
    env: fc.array(fc.string({ maxLength: 3 }), { maxLength: 2 }),
    startTs: ns,
    isExeWritable: fc.boolean(),
    ancestors: fc.array(fc.record({ pid: fc.integer(), name: fc.string({ maxLength: 3 }) }), {
      maxLength: 2,
    }),
  },
  { requiredKeys: ['pid', 'name'] },
);
const fd = fc.record(
  {
    num: fc.integer(),
    type: fc.constantFrom('file', 'ipv4', 'unix', 'pipe'),
    name: fc.string({ maxLength: 5 }),
    l4proto: fc.constantFrom('tcp', 'udp'),
    cport: fc.integer({ min: 0, max: 65535 }),
    sport: fc.integer({ min: 0, max: 65535 }),
    isClient: fc.boolean(),
    openFlags: fc.string({ maxLength: 3 }),
  },
  { requiredKeys: ['num', 'type'] },
);
const container = fc.record(
  {
    id: fc.string({ minLength: 1, maxLength: 5 }),
    image: fc.string({ maxLength: 5 }),
    privileged: fc.boolean(),
    mounts: fc.array(
      fc.record({
        source: fc.string({ maxLength: 2 }),
        dest: fc.string({ maxLength: 2 }),
        mode: fc.string({ maxLength: 2 }),
        rdwr: fc.boolean(),
        propagation: fc.string({ maxLength: 2 }),
      }),
      { maxLength: 2 },
    ),
  },
  { requiredKeys: ['id'] },
);
const k8s = fc.record(
  {
    podName: fc.string({ maxLength: 3 }),
    labels: fc.dictionary(fc.string({ maxLength: 2 }), fc.string({ maxLength: 2 })),
  },
  { requiredKeys: [] },
);
const event = fc.record(
  {
    source: fc.constant('syscall'),
    num: fc.nat(),
    ts: ns,
    type: fc.string({ minLength: 1, maxLength: 6 }),
    dir: fc.constantFrom('<', '>'),
    res: fc.integer(),
    args: fc.array(fc.tuple(fc.string({ maxLength: 2 }), fc.string({ maxLength: 2 })), { maxLength: 3 }),
    cpu: fc.nat(),
    hostname: fc.string({ maxLength: 3 }),
    proc,
    fd,
    container,
    k8s,
  },
  { requiredKeys: ['ts', 'type', 'dir', 'args', 'proc'] },
);

/** Paths into an event whose value gets replaced by junk. */
const PATHS = [
  ['source'],
  ['num'],
  ['ts'],
  ['type'],
  ['dir'],
  ['res'],
  ['args'],
  ['args', 0],
  ['args', 0, 1],
  ['cpu'],
  ['hostname'],
  ['proc'],
  ['proc', 'pid'],
  ['proc', 'name'],
  ['proc', 'args'],
  ['proc', 'startTs'],
  ['proc', 'isExeWritable'],
  ['proc', 'ancestors'],
  ['proc', 'ancestors', 0],
  ['proc', 'ancestors', 0, 'pid'],
  ['fd'],
  ['fd', 'type'],
  ['fd', 'l4proto'],
  ['fd', 'cport'],
  ['container'],
  ['container', 'id'],
  ['container', 'mounts', 0, 'rdwr'],
  ['k8s', 'labels'],
] as const;

function mutate(ev: Record<string, unknown>, path: readonly (string | number)[], value: unknown): unknown {
  const copy = structuredClone(ev);
  let at: Record<string | number, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    const next = at[key];
    if (typeof next !== 'object' || next === null) return copy;
    at = next as Record<string | number, unknown>;
  }
  at[path.at(-1)!] = value;
  return copy;
}

describe('isValidSyscallEvent', () => {
  it('accepts exactly what the protocol schema accepts', () => {
    fc.assert(
      fc.property(event, (ev) => {
        expect(isValidSyscallEvent(ev)).toBe(true);
        expect(SyscallEventSchema.safeParse(ev).success).toBe(true);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(event, fc.constantFrom(...PATHS), junk, (ev, path, value) => {
        const bad = mutate(ev as Record<string, unknown>, path, value);
        expect(isValidSyscallEvent(bad)).toBe(SyscallEventSchema.safeParse(bad).success);
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses non-objects', () => {
    for (const v of [null, 1, 'x', [], [{}]]) expect(isValidSyscallEvent(v)).toBe(false);
  });
});
