import type { AlertInput } from '@peregrine/db';
import { describe, expect, it } from 'vitest';
import {
  MAX_HOSTNAME_LENGTH,
  MAX_RULE_LENGTH,
  storableAlert,
  storableIngestKey,
  storableTime,
  truncateVisibly,
} from './storable.js';

const received = new Date('2026-11-24T10:00:00Z');

function alert(overrides: Partial<AlertInput> = {}): AlertInput {
  return {
    rule: 'Shell spawned',
    priority: 'warning',
    source: 'syscall',
    output: 'out',
    outputFields: {},
    tags: ['shell'],
    hostname: 'node-1',
    eventTime: new Date('2026-11-24T09:59:00Z'),
    dedupKey: 'd',
    ingestKey: 'k',
    ...overrides,
  };
}

describe('storable values', () => {
  it('passes an alert within bounds through as it is', () => {
    const a = alert();
    expect(storableAlert(a, received)).toBe(a);
  });

  it('cuts long names visibly and never between a surrogate pair', () => {
    expect(truncateVisibly('abcdef', 4)).toBe('abc…');
    expect(truncateVisibly('ab😀', 4)).toBe('ab😀');
    expect(truncateVisibly('ab😀cd', 4)).toBe('ab…');
    const a = storableAlert(
      alert({ rule: 'R'.repeat(5000), hostname: 'h'.repeat(1000), tags: ['ok', 't'.repeat(3000)] }),
      received,
    );
    expect(a.rule).toHaveLength(MAX_RULE_LENGTH);
    expect(a.rule.endsWith('…')).toBe(true);
    expect(a.hostname).toHaveLength(MAX_HOSTNAME_LENGTH);
    expect(a.tags[0]).toBe('ok');
    expect(a.tags[1]?.endsWith('…')).toBe(true);
  });

  it('replaces a long ingest key by its hash, the same for the same key', () => {
    const long = `sensor:${'b'.repeat(300)}:1`;
    expect(storableIngestKey('short')).toBe('short');
    expect(storableIngestKey(long)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(storableIngestKey(long)).toBe(storableIngestKey(`${long}`));
    expect(storableIngestKey(long)).not.toBe(storableIngestKey(`${long}2`));
  });

  it('stores the receipt time for times Postgres refuses (years outside 1..9999)', () => {
    expect(storableTime(new Date('0000-06-01T00:00:00Z'), received)).toBe(received);
    expect(storableTime(new Date('+010000-01-01T00:00:00Z'), received)).toBe(received);
    expect(storableTime(new Date(Number.NaN), received)).toBe(received);
    expect(storableTime(undefined, received)).toBe(received);
    const first = new Date('0001-01-01T00:00:00Z');
    const last = new Date('9999-12-31T23:59:59.999Z');
    expect(storableTime(first, received)).toBe(first);
    expect(storableTime(last, received)).toBe(last);
    expect(storableAlert(alert({ eventTime: new Date('0000-01-01T00:00:00Z') }), received).eventTime).toBe(
      received,
    );
  });
});
