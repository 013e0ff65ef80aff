import { describe, expect, it } from 'vitest';
import { exceedsDepth, msToNs, nsToDate, rfc3339ToNs } from './plugin-event.js';

describe('plugin event helpers', () => {
  it('converts RFC 3339 to epoch nanoseconds, keeping the fraction', () => {
    expect(rfc3339ToNs('1970-01-01T00:00:01Z')).toBe('1000000000');
    expect(rfc3339ToNs('1970-01-01T00:00:01.5Z')).toBe('1500000000');
    expect(rfc3339ToNs('2024-07-19T16:31:56.746609046Z')).toBe('1721406716746609046');
    expect(rfc3339ToNs('2024-07-19T18:31:56.746609046+02:00')).toBe('1721406716746609046');
    expect(rfc3339ToNs('2024-07-19')).toBeUndefined();
    expect(rfc3339ToNs(42)).toBeUndefined();
    expect(nsToDate('1721406716746609046').toISOString()).toBe('2024-07-19T16:31:56.746Z');
    expect(msToNs(1500)).toBe('1500000000');
  });

  it('measures nesting without recursion', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(exceedsDepth(deep)).toBe(true);
    expect(exceedsDepth({ a: { b: [1, { c: 2 }] } }, 4)).toBe(false);
    expect(exceedsDepth({ a: { b: [1, { c: {} }] } }, 4)).toBe(true);
    expect(exceedsDepth({}, 1)).toBe(false);
    expect(exceedsDepth('text')).toBe(false);
  });
});
