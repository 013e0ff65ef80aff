import { describe, expect, it } from 'vitest';
import { DIGEST_GRACE_MS, targetPlanner } from './plan-targets.js';
import type { CachedRoute } from './routes-cache.js';

const route = (over: Partial<CachedRoute>): CachedRoute => ({
  id: 'r1',
  enabled: true,
  filter: {},
  channelIds: ['c1'],
  throttleSeconds: 300,
  continue: false,
  digest: null,
  quietHours: null,
  ...over,
});
const target = { channelId: 'c1', routeId: 'r1', throttleSeconds: 300 };
const nights = {
  timeZone: 'Europe/Berlin',
  start: '22:00',
  end: '07:00',
  days: [0, 1, 2, 3, 4, 5, 6],
  weekends: false,
  passPriority: 'critical' as const,
};
const plan = (r: CachedRoute, priority: string, iso: string) =>
  targetPlanner(new Map([[r.id, r]]), Date.parse(iso))([target], priority)[0]!;

describe('targetPlanner', () => {
  it('leaves a route without a schedule one by one', () => {
    expect(plan(route({}), 'warning', '2027-01-04T23:00:00Z')).toEqual(target);
  });

  it('holds alerts below the pass priority in quiet hours, and lets the others go', () => {
    const r = route({ quietHours: nights });
    // 23:30 Berlin (CET): held until 07:00, with the grace.
    expect(plan(r, 'error', '2027-01-04T22:30:00Z').digest).toEqual({
      key: `q:r1:${Date.parse('2027-01-05T06:00:00Z')}`,
      action: 'held',
      start: new Date('2027-01-04T21:00:00Z'),
      end: new Date('2027-01-05T06:00:00Z'),
      due: new Date(Date.parse('2027-01-05T06:00:00Z') + DIGEST_GRACE_MS),
    });
    expect(plan(r, 'critical', '2027-01-04T22:30:00Z').digest).toBeUndefined();
    expect(plan(r, 'emergency', '2027-01-04T22:30:00Z').digest).toBeUndefined();
    // Noon: not quiet.
    expect(plan(r, 'debug', '2027-01-05T11:00:00Z').digest).toBeUndefined();
  });

  it('holds a trigger per alert group for a channel that cannot take a digest', () => {
    const r = route({ quietHours: nights, pagingChannelIds: ['c1'] });
    expect(plan(r, 'error', '2027-01-04T22:30:00Z').digest).toMatchObject({
      key: `q:r1:${Date.parse('2027-01-05T06:00:00Z')}`,
      action: 'deferred',
      due: new Date(Date.parse('2027-01-05T06:00:00Z') + DIGEST_GRACE_MS),
    });
    expect(plan(r, 'critical', '2027-01-04T22:30:00Z').digest).toBeUndefined();
  });

  it('sends a digest whose period ends in quiet hours when they end', () => {
    const hourly = route({ digest: { mode: 'interval', minutes: 60 }, quietHours: nights });
    // Period 20:00-21:00 UTC ends at 22:00 Berlin: quiet, so due at 07:00 Berlin.
    expect(plan(hourly, 'critical', '2027-01-04T20:10:00Z').digest).toMatchObject({
      key: `d:r1:${Date.parse('2027-01-04T20:00:00Z')}`,
      action: 'digest',
      end: new Date('2027-01-04T21:00:00Z'),
      due: new Date(Date.parse('2027-01-05T06:00:00Z') + DIGEST_GRACE_MS),
    });
    // Period 19:00-20:00 UTC ends at 21:00 Berlin: due at its end.
    expect(plan(hourly, 'critical', '2027-01-04T19:10:00Z').digest?.due).toEqual(
      new Date(Date.parse('2027-01-04T20:00:00Z') + DIGEST_GRACE_MS),
    );
  });
});
