import { SensorEventBatchV2Schema, SyscallEventSchema, type WireSyscallEvent } from '@peregrine/protocol';
import { Enricher, encodeBatchV1, encodeBatchV2, type RawEvent } from '@peregrine/sensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateEvents } from '../../bench/events.js';
import { CollectorError } from '../http/errors.js';
import { decodeSensorBatch } from './sensor-batch.js';

const head = { sensorId: 'node-a', batchId: 'node-a-run-7', seq: 7 };

/** The events of a decoded batch, indexes checked to be 0..n-1 with nothing refused. */
function accepted(body: unknown): WireSyscallEvent[] {
  const decoded = decodeSensorBatch(body);
  expect(decoded.rejected).toEqual([]);
  expect(decoded.events.map((e) => e.index)).toEqual(decoded.events.map((_, i) => i));
  return decoded.events.map((e) => e.event);
}

function v2Body(events: WireSyscallEvent[]): Record<string, unknown> {
  return JSON.parse(encodeBatchV2(head, events)) as Record<string, unknown>;
}

/** A valid v2 batch of three events over two processes, one container, two arg-name lists. */
function sample(): Record<string, unknown> & {
  procs: unknown[];
  argNames: unknown[];
  containers: unknown[];
  events: unknown[][];
} {
  const proc = { pid: 10, name: 'cat', ancestors: [{ pid: 1, name: 'init' }] };
  const other = { pid: 11, name: 'sh' };
  const container = { id: 'c'.repeat(64), type: 'docker' };
  const base = { source: 'syscall' as const, dir: '<' as const, hostname: 'h' };
  return v2Body([
    {
      ...base,
      ts: '1',
      type: 'openat',
      res: 3,
      args: [
        ['fd', '3'],
        ['name', '/etc/shadow'],
      ],
      proc,
      fd: { num: 3, type: 'file', name: '/etc/shadow' },
      container,
    },
    { ...base, ts: '2', type: 'execve', res: 0, args: [['res', '0']], proc: other },
    { ...base, ts: '3', type: 'execve', res: 0, args: [['res', '0']], proc: other },
  ]) as ReturnType<typeof sample>;
}

describe('sensor batch decoding', () => {
  it('gives the same events from the sensor encoder v2 as from v1 (the collector benchmark stream)', () => {
    const events = generateEvents(0, 1000, 0.1, 'node-1');
    const v1 = accepted(JSON.parse(encodeBatchV1(head, events)));
    const v2 = accepted(v2Body(events));
    expect(v2).toEqual(v1);
    expect(v2).toEqual(JSON.parse(JSON.stringify(events)));
    expect(decodeSensorBatch(v2Body(events))).toMatchObject({
      version: 2,
      batchId: head.batchId,
      count: 1000,
    });
    expect(decodeSensorBatch(JSON.parse(encodeBatchV1(head, events)))).toMatchObject({
      version: 1,
      count: 1000,
    });
  });

  it('gives the same events from both versions for what the real enricher builds', () => {
    const enricher = new Enricher();
    const raw = (type: string, extra: Partial<RawEvent>): RawEvent => ({
      type,
      monoNs: process.hrtime.bigint(),
      cpu: 0,
      pid: process.pid,
      tid: process.pid,
      ppid: process.ppid,
      euid: 0,
      egid: 0,
      ret: 0,
      ints: {},
      strs: {},
      comm: 'node',
      ...extra,
    });
    const events: WireSyscallEvent[] = [];
    for (let n = 0; n < 20; n++) {
      events.push(
        enricher.enrich(
          raw('openat', {
            ret: n % 3 ? 5 : -13,
            ints: { dirfd: '-100', flags: '524288', mode: '0' },
            strs: { name: `/etc/f${n % 4}` },
          }),
        ),
        enricher.enrich(
          raw('connect', {
            tid: process.pid + 1,
            ret: 0,
            ints: { fd: '9', family: '10', proto: '6', sport: '443', sip: '::1', cport: '5000', cip: '::1' },
          }),
        ),
      );
    }
    const v1 = accepted(JSON.parse(encodeBatchV1(head, events)));
    const v2 = accepted(v2Body(events));
    expect(v2).toEqual(v1);
    expect(v2.filter((e) => e.type === 'connect')[0]?.fd).toMatchObject({ type: 'ipv6', sport: 443 });
  });

  it('still accepts version 1 and refuses a bad v1 event alone', () => {
    const good = { ts: '1', type: 'execve', dir: '<', args: [], proc: { pid: 1, name: 'sh' } };
    const decoded = decodeSensorBatch({ ...head, events: [good, { ts: 'x' }, 42, good] });
    expect(decoded.events.map((e) => e.index)).toEqual([0, 3]);
    expect(decoded.rejected.map((r) => r.index)).toEqual([1, 2]);
    expect(decoded.rejected[0]!.error).toMatch(/ts|proc|expected/);
  });

  it('refuses a body that is no batch with a 400, naming the problem', () => {
    const cases: unknown[] = [
      null,
      [],
      'x',
      { ...sample(), v: 3 },
      { ...sample(), v: '2' },
      { ...sample(), procs: 'no' },
      { ...sample(), events: { 0: [] } },
      { ...sample(), argNames: null },
      { ...sample(), containers: 5 },
      { ...sample(), batchId: '' },
      { ...sample(), sensorId: 7 },
    ];
    for (const body of cases) {
      expect(() => decodeSensorBatch(body)).toThrow(CollectorError);
      try {
        decodeSensorBatch(body);
      } catch (error) {
        expect((error as CollectorError).code).toBe('INVALID_BODY');
      }
    }
  });

  it('refuses hostile rows one by one, saying why, and keeps the others', () => {
    const body = sample();
    const good = body.events[1]!;
    const rows: Array<[row: unknown, reason: RegExp]> = [
      [[...good.slice(0, 5), 99, ...good.slice(6)], /proc 99 is not in procs/],
      [[...good.slice(0, 5), -1, ...good.slice(6)], /5/],
      [[...good.slice(0, 5), 0.5, ...good.slice(6)], /5/],
      [[...good.slice(0, 6), 7, ...good.slice(7)], /argNames 7 is not in argNames/],
      [[...good.slice(0, 7), ['0', 'extra']], /2 argument values for 1 argument names/],
      [[...good.slice(0, 7), [0]], /7/],
      [[...good.slice(0, 8), [3, 'file', 5]], /fd.2 names argument 5 of 1/],
      [[...good.slice(0, 8), [3, 'socket?']], /8/],
      [[...good.slice(0, 8), { n: 3, t: 'file' }], /8/],
      [[...good.slice(0, 8), [3, 'ipv4', null, null, null, null, 'tcp', '1.2.3.4', 70_000]], /8/],
      [[...good.slice(0, 8), null, 3], /container 3 is not in containers/],
      [[...good.slice(0, 8), null, null, 'sideways'], /10/],
      [[...good, null, null, null, null, null], /./],
      [good.slice(0, 5), /./],
      ['row', /./],
      [{ 0: 'execve' }, /./],
      [['', ...good.slice(1)], /0/],
      [[good[0], '1e9', ...good.slice(2)], /1/],
      [[good[0], good[1], -3, ...good.slice(3)], /2/],
    ];
    const decoded = decodeSensorBatch({ ...body, events: [good, ...rows.map(([row]) => row), good] });
    expect(decoded.events.map((e) => e.index)).toEqual([0, rows.length + 1]);
    expect(decoded.rejected.map((r) => r.index)).toEqual(rows.map((_, i) => i + 1));
    for (const [i, [, reason]] of rows.entries()) expect(decoded.rejected[i]!.error).toMatch(reason);
  });

  it('refuses the events of a bad table entry, and only those', () => {
    const body = sample();
    body.procs[1] = { pid: 'eleven', name: 'sh' };
    body.containers[0] = { c: { id: '' } };
    const decoded = decodeSensorBatch(body);
    expect(decoded.events).toEqual([]);
    expect(decoded.rejected).toEqual([
      { index: 0, error: expect.stringMatching(/^containers\.0: c\.id/) },
      { index: 1, error: expect.stringMatching(/^procs\.1: pid/) },
      { index: 2, error: expect.stringMatching(/^procs\.1: pid/) },
    ]);
    const names = sample();
    names.argNames[1] = ['res', 0];
    expect(decodeSensorBatch(names).rejected.map((r) => r.error)).toEqual([
      'argNames.1: expected an array of strings',
      'argNames.1: expected an array of strings',
    ]);
  });

  it('refuses a process whose ancestors nest without end instead of exhausting the stack', () => {
    const body = sample();
    let deep: Record<string, unknown> = { pid: 1, name: 'x' };
    for (let i = 0; i < 100_000; i++) deep = { pid: 1, name: 'x', ancestors: [deep] };
    body.procs[1] = deep;
    const decoded = decodeSensorBatch(body);
    expect(decoded.events.map((e) => e.index)).toEqual([0]);
    expect(decoded.rejected[0]!.error).toBe('procs.1: ancestors nested more than 16 deep');
  });

  it('shares one process object among the events of a process, and keeps prototypes clean', () => {
    const body = sample();
    body.procs[1] = JSON.parse('{"pid":11,"name":"sh","__proto__":{"polluted":true}}');
    const events = accepted(body);
    expect(events[1]!.proc).toBe(events[2]!.proc);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('agrees with the zod schema on mutated batches and never throws anything but a 400', () => {
    const junk = fc.oneof(
      fc.constant(undefined),
      fc.constant(null),
      fc.boolean(),
      fc.integer({ min: -3, max: 5 }),
      fc.double(),
      fc.string({ maxLength: 3 }),
      fc.constantFrom('<', '>', 'file', '123'),
      fc.constant([]),
      fc.constant({}),
      fc.constant([1, 'file', 0]),
      fc.constant([1, 'ipv4', null, 9, null, null, 'udp', 'x', 1, 'y', 2, true, false, null, '1', 7]),
    );
    const mutation = fc.record({
      row: fc.nat(2),
      at: fc.nat(12),
      value: junk,
      table: fc.constantFrom('procs', 'argNames', 'containers', 'none'),
      tableValue: junk,
    });
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
        const body = sample();
        for (const m of mutations) {
          const row = body.events[m.row]!;
          if (m.at < 12) row[m.at] = m.value;
          else row.length = m.row + 5;
          if (m.table !== 'none') (body[m.table] as unknown[])[m.row] = m.tableValue;
        }
        let decoded: ReturnType<typeof decodeSensorBatch>;
        try {
          decoded = decodeSensorBatch(body);
        } catch (error) {
          expect(error).toBeInstanceOf(CollectorError);
          expect(SensorEventBatchV2Schema.safeParse(body).success).toBe(false);
          return;
        }
        // Each row alone, with the tables: zod accepts it exactly when the decoder does.
        body.events.forEach((row, index) => {
          const alone = SensorEventBatchV2Schema.safeParse({ ...body, events: [row] });
          const refusedByZod = !alone.success;
          const refused = decoded.rejected.some((r) => r.index === index);
          // A bad table entry that no row uses refuses nothing here but fails zod's whole batch.
          if (!refused) {
            const usesOnlyGoodEntries = SensorEventBatchV2Schema.safeParse({
              ...body,
              procs: Array.from(body.procs, (p, i) => (i === row[5] ? p : { pid: 0, name: '' })),
              argNames: Array.from(body.argNames, (n, i) => (i === row[6] ? n : [])),
              containers: Array.from(body.containers, (c, i) => (i === row[9] ? c : {})),
              events: [row],
            });
            expect(usesOnlyGoodEntries.success).toBe(true);
          } else {
            expect(refusedByZod).toBe(true);
          }
        });
        for (const { event } of decoded.events)
          expect(SyscallEventSchema.safeParse(event).success).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
