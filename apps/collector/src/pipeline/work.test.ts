import { encodeBatchV3 } from '@peregrine/sensor';
import { describe, expect, it } from 'vitest';
import { generateEvents } from '../../bench/events.js';
import { sensorIngestEvents, sensorIngestRows } from '../ingest/sensor.js';
import { decodeSensorBatchV3, openSensorBatchV3Body } from '../ingest/sensor-batch.js';
import { decodeWork, encodeWork, type WorkItem, withRowsBuilt, workSize } from './work.js';

describe('work encoding (spool, JetStream)', () => {
  it("hands a Falco alert's 64-bit output fields back exact", () => {
    const item: WorkItem = {
      kind: 'alerts',
      origin: { organizationId: 'o', environmentId: 'e', cloudSourceId: 's' },
      receivedAt: 1,
      alerts: [
        {
          time: new Date('2023-11-14T22:13:20.123Z'),
          rule: 'r',
          priority: 'Warning',
          source: 'syscall',
          output: 'o',
          outputFields: { 'evt.time': 1700000000123456789n, 'proc.pid': 42, 'proc.name': 'sh' },
          tags: [],
          ingestKey: 'k',
        },
      ],
    };
    const back = decodeWork(encodeWork(item));
    expect(back).toEqual(item);
    if (back.kind !== 'alerts') throw new Error('kind');
    expect(back.alerts[0]?.outputFields['evt.time']).toBe(1700000000123456789n);
  });

  it('reads alerts spooled by an earlier version (plain output fields)', () => {
    const old = JSON.stringify({
      kind: 'alerts',
      origin: { organizationId: 'o', environmentId: 'e' },
      receivedAt: 1,
      alerts: [
        {
          time: '2023-11-14T22:13:20.123Z',
          rule: 'r',
          priority: 'Warning',
          source: 'syscall',
          output: '',
          outputFields: { a: 1 },
          tags: [],
          ingestKey: 'k',
        },
      ],
    });
    const back = decodeWork(new TextEncoder().encode(old));
    expect(back.kind === 'alerts' && back.alerts[0]?.outputFields).toEqual({ a: 1 });
  });

  it('builds rows left in a version-3 body into the events they hold before leaving the process', () => {
    const body = encodeBatchV3({ sensorId: 's', batchId: 'b', seq: 1 }, generateEvents(0, 50, 0.1, 'h'));
    const origin = { organizationId: 'o', environmentId: 'e', sensorId: 's' };
    const base = { kind: 'events', origin, storeRaw: false, batchId: 'b', receivedAt: 1 } as const;
    const { rows } = sensorIngestRows('s', openSensorBatchV3Body(body));
    const { events } = sensorIngestEvents('s', decodeSensorBatchV3(body));
    const lazy: WorkItem = { ...base, events: [], rows };
    const built: WorkItem = { ...base, events };
    expect(workSize(lazy)).toBe(50);
    expect(withRowsBuilt(lazy)).toEqual(built);
    expect(new TextDecoder().decode(encodeWork(lazy))).toBe(new TextDecoder().decode(encodeWork(built)));
    expect(decodeWork(encodeWork(lazy))).toEqual(built);
  });
});
