import { describe, expect, it } from 'vitest';
import { seededRandom as random } from '../testing.js';
import { splitTagCountRange } from './web-alerts-tag-sets.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe('splitTagCountRange', () => {
  it('covers the range exactly once, hours and five minutes on their boundaries, under five minutes of alerts per edge', () => {
    const rand = random(19);
    const base = Date.UTC(2026, 11, 6, 8, 0, 0);
    for (let i = 0; i < 2_000; i++) {
      const from = base + Math.floor((rand() - 0.5) * 10 * 24 * HOUR);
      const length = [0, 1, 4 * MINUTE, 20 * MINUTE, 3 * HOUR, 30 * 24 * HOUR][i % 6] as number;
      const to = from + Math.floor(rand() * length) + (i % 7 === 0 ? 0 : 1);
      const split = splitTagCountRange(new Date(from), new Date(to));
      const parts = [...(split.hours ? [split.hours] : []), ...split.fiveMinutes, ...split.alerts].map(
        ([lo, hi]) => [lo.getTime(), hi.getTime()] as const,
      );
      for (const [lo, hi] of parts) expect(lo).toBeLessThan(hi);
      // Sorted, the parts tile [from, to): no gap, no overlap.
      parts.sort((a, b) => a[0] - b[0]);
      let at = from;
      for (const [lo, hi] of parts) {
        expect(lo).toBe(at);
        at = hi;
      }
      expect(at).toBe(Math.max(from, to));
      if (split.hours) for (const t of split.hours) expect(t.getTime() % HOUR).toBe(0);
      for (const part of split.fiveMinutes) for (const t of part) expect(t.getTime() % (5 * MINUTE)).toBe(0);
      expect(split.fiveMinutes.length).toBeLessThanOrEqual(2);
      expect(split.alerts.length).toBeLessThanOrEqual(2);
      // From alerts: under five minutes at each edge, or the whole range when it holds no whole
      // five minutes (then under ten).
      const fromAlerts = split.alerts.map(([lo, hi]) => hi.getTime() - lo.getTime());
      if (split.hours || split.fiveMinutes.length > 0)
        for (const d of fromAlerts) expect(d).toBeLessThan(5 * MINUTE);
      expect(fromAlerts.reduce((a, b) => a + b, 0)).toBeLessThan(10 * MINUTE);
      // Five-minute rows only where no whole hour covers them: at most 11 buckets per edge.
      if (split.hours)
        for (const [lo, hi] of split.fiveMinutes) expect(hi.getTime() - lo.getTime()).toBeLessThan(HOUR);
    }
  });
});
