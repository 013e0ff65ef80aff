import { describe, expect, it } from 'vitest';
import { decodeWork, encodeWork, type WorkItem } from './work.js';

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
});
