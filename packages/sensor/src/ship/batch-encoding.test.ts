import {
  expandSensorEventBatchV2,
  SensorEventBatchSchema,
  SensorEventBatchV2Schema,
  type WireSyscallEvent,
} from '@peregrine/protocol';
import { describe, expect, it } from 'vitest';
import type { RawEvent } from '../capture/bpftrace-records.js';
import { Enricher } from '../enrich/enricher.js';
import { encodeBatchV1, encodeBatchV2 } from './batch-encoding.js';

const head = { sensorId: 'node-a', batchId: 'node-a-run-1', seq: 1 };

function raw(type: string, extra: Partial<RawEvent> = {}): RawEvent {
  return {
    type,
    monoNs: process.hrtime.bigint(),
    cpu: 1,
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
  };
}

/** Both versions through JSON and their schemas: the events the collector gets from each. */
function roundTrip(events: WireSyscallEvent[]): {
  v1: WireSyscallEvent[];
  v2: WireSyscallEvent[];
  bytes: number[];
} {
  const v1Text = encodeBatchV1(head, events);
  const v2Text = encodeBatchV2(head, events);
  const v1 = SensorEventBatchSchema.parse(JSON.parse(v1Text)).events;
  const v2 = expandSensorEventBatchV2(SensorEventBatchV2Schema.parse(JSON.parse(v2Text)));
  return { v1, v2, bytes: [v1Text.length, v2Text.length] };
}

describe('batch version 2', () => {
  it('carries the same events as version 1 for what the enricher builds from the real /proc', () => {
    const enricher = new Enricher();
    const events: WireSyscallEvent[] = [];
    for (let n = 0; n < 50; n++) {
      events.push(
        enricher.enrich(
          raw('openat', {
            ret: n % 7 === 0 ? -2 : 5,
            ints: { dirfd: '-100', flags: String(0o2000000 | (n % 3)), mode: n % 2 ? '420' : '0' },
            strs: { name: n % 5 === 0 ? `rel/${n}` : `/var/lib/app/file-${n % 4}` },
          }),
        ),
      );
      events.push(
        enricher.enrich(
          raw('connect', {
            tid: process.pid + 1,
            ints: {
              fd: '7',
              family: '2',
              proto: '6',
              sport: '443',
              sip: '10.0.0.1',
              cport: '40000',
              cip: '10.0.0.2',
            },
            ret: -115,
          }),
        ),
      );
    }
    events.push(
      enricher.enrich(raw('unlinkat', { ints: { dirfd: '-100', flags: '512' }, strs: { name: '/tmp/x' } })),
    );
    events.push(
      enricher.enrich(raw('memfd_create', { ret: 4, ints: { flags: '1' }, strs: { name: 'payload' } })),
    );
    events.push(enricher.enrich(raw('procexit', { ints: { status: '256' } })));
    const { v1, v2, bytes } = roundTrip(events);
    expect(v2).toEqual(v1);
    expect(v2).toEqual(JSON.parse(JSON.stringify(events)));
    // Events of one thread share one process object after expansion, and the body is smaller.
    expect(v2[0]!.proc).toBe(v2[2]!.proc);
    expect(bytes[1]!).toBeLessThan(bytes[0]! / 4);
  });

  it('keeps containers, pods, per-event host names, directions and absent fields exact', () => {
    const proc = { pid: 7, name: 'sh', args: ['-c', 'a\tb'], ancestors: [{ pid: 1, name: 'init' }] };
    const container = { id: 'a'.repeat(64), type: 'docker', privileged: false, mounts: [] };
    const k8s = { podName: 'p', labels: { 'app.kubernetes.io/name': 'x' } };
    const base = {
      ts: '1700000000000000001',
      type: 'openat',
      dir: '<' as const,
      args: [] as [string, string][],
    };
    const events: WireSyscallEvent[] = [
      { ...base, source: 'syscall', num: 1, cpu: 0, res: 3, hostname: 'h1', proc, container, k8s },
      {
        ...base,
        source: 'syscall',
        num: 2,
        hostname: 'h1',
        proc,
        container,
        k8s,
        args: [['name', '/x"y\\z\n\u0001']],
      },
      { ...base, source: 'syscall', num: 3, hostname: 'h2', proc: { ...proc }, container },
      { ...base, source: 'syscall', dir: '>', hostname: 'h1', proc, k8s: { podUid: 'u' } },
      {
        ...base,
        source: 'syscall',
        hostname: 'h1',
        proc,
        args: [
          ['fd', '3'],
          ['tuple', '1.2.3.4:5->6.7.8.9:10'],
          ['uni', 'héllo ✓ lone \ud800'],
        ],
        fd: {
          num: 3,
          type: 'ipv4',
          name: '1.2.3.4:5->6.7.8.9:10',
          cip: '1.2.3.4',
          cport: 5,
          isClient: true,
          connected: false,
        },
      },
    ];
    const { v1, v2 } = roundTrip(events);
    expect(v2).toEqual(v1);
    expect(v2.map((e) => e.hostname)).toEqual(['h1', 'h1', 'h2', 'h1', 'h1']);
    // A batch where one event has no host name: the others keep theirs, that one has none.
    const mixed = roundTrip([events[0]!, { ...events[1]!, hostname: undefined }]);
    expect(mixed.v2).toEqual(mixed.v1);
    expect(mixed.v2[1]!.hostname).toBeUndefined();
    // An fd field naming an argument stands for that argument's value.
    const text = encodeBatchV2(head, [events[4]!]);
    expect(JSON.parse(text).events[0][8]).toEqual([
      3,
      'ipv4',
      1,
      null,
      null,
      null,
      null,
      '1.2.3.4',
      5,
      null,
      null,
      true,
      false,
    ]);
  });

  it('writes a process and a container once per batch however many events refer to them', () => {
    const proc = { pid: 7, name: 'sh', capEffective: 'CAP_CHOWN '.repeat(40) };
    const container = { id: 'c'.repeat(64), image: 'registry/app:1' };
    const events: WireSyscallEvent[] = Array.from({ length: 100 }, (_, n) => ({
      ts: String(1_700_000_000_000_000_000n + BigInt(n)),
      type: 'openat',
      dir: '<' as const,
      args: [['name', `/f${n}`] as [string, string]],
      proc,
      container,
    }));
    const body = SensorEventBatchV2Schema.parse(JSON.parse(encodeBatchV2(head, events)));
    expect(body.procs).toHaveLength(1);
    expect(body.containers).toHaveLength(1);
    expect(body.argNames).toEqual([['name']]);
  });
});
