import { describe, expect, it } from 'vitest';
import { digestPeriod, instantOf, type QuietHours, quietWindow } from './schedule.js';

const at = (iso: string) => Date.parse(iso);
const span = (s: { start: number; end: number } | undefined) =>
  s && { start: new Date(s.start).toISOString(), end: new Date(s.end).toISOString() };

describe('instantOf', () => {
  it('reads wall-clock times in the zone, DST included', () => {
    expect(instantOf(2027, 1, 4, 8, 0, 'Europe/Berlin')).toBe(at('2027-01-04T07:00:00Z'));
    expect(instantOf(2027, 7, 4, 8, 0, 'Europe/Berlin')).toBe(at('2027-07-04T06:00:00Z'));
    // Skipped by the spring-forward jump (02:00 -> 03:00): lands just after it.
    expect(instantOf(2027, 3, 28, 2, 30, 'Europe/Berlin')).toBe(at('2027-03-28T01:30:00Z'));
    // Repeated in autumn (03:00 -> 02:00): its first occurrence.
    expect(instantOf(2027, 10, 31, 2, 30, 'Europe/Berlin')).toBe(at('2027-10-31T00:30:00Z'));
    expect(instantOf(2027, 3, 14, 9, 15, 'America/New_York')).toBe(at('2027-03-14T13:15:00Z'));
  });
});

describe('digestPeriod', () => {
  it('aligns interval periods to the epoch', () => {
    expect(span(digestPeriod({ mode: 'interval', minutes: 60 }, at('2027-01-04T10:59:59.999Z')))).toEqual({
      start: '2027-01-04T10:00:00.000Z',
      end: '2027-01-04T11:00:00.000Z',
    });
    expect(span(digestPeriod({ mode: 'interval', minutes: 60 }, at('2027-01-04T11:00:00Z')))?.start).toBe(
      '2027-01-04T11:00:00.000Z',
    );
    expect(span(digestPeriod({ mode: 'interval', minutes: 15 }, at('2027-01-04T10:31:00Z')))).toEqual({
      start: '2027-01-04T10:30:00.000Z',
      end: '2027-01-04T10:45:00.000Z',
    });
  });

  it('runs a daily period from one local time to the next, 23 or 25 hours across DST', () => {
    const daily = { mode: 'daily', at: '08:00', timeZone: 'Europe/Berlin' } as const;
    expect(span(digestPeriod(daily, at('2027-01-04T06:59:00Z')))).toEqual({
      start: '2027-01-03T07:00:00.000Z',
      end: '2027-01-04T07:00:00.000Z',
    });
    expect(span(digestPeriod(daily, at('2027-01-04T07:00:00Z')))?.start).toBe('2027-01-04T07:00:00.000Z');
    expect(span(digestPeriod(daily, at('2027-03-28T05:30:00Z')))).toEqual({
      start: '2027-03-27T07:00:00.000Z',
      end: '2027-03-28T06:00:00.000Z',
    });
    expect(span(digestPeriod(daily, at('2027-10-31T05:00:00Z')))).toEqual({
      start: '2027-10-30T06:00:00.000Z',
      end: '2027-10-31T07:00:00.000Z',
    });
  });
});

describe('quietWindow', () => {
  const q = (over: Partial<QuietHours>): QuietHours => ({
    timeZone: 'Europe/Berlin',
    start: '22:00',
    end: '07:00',
    days: [0, 1, 2, 3, 4, 5, 6],
    weekends: false,
    ...over,
  });

  it('runs an overnight window into the next day, DST nights included', () => {
    const sat = q({ days: [6] });
    expect(quietWindow(sat, at('2027-03-27T20:59:59Z'))).toBeUndefined();
    expect(span(quietWindow(sat, at('2027-03-27T21:00:00Z')))).toEqual({
      start: '2027-03-27T21:00:00.000Z',
      end: '2027-03-28T05:00:00.000Z',
    });
    expect(quietWindow(sat, at('2027-03-28T05:00:00Z'))).toBeUndefined();
    // Autumn: 10 hours (22:00 CEST to 07:00 CET).
    expect(span(quietWindow(sat, at('2027-10-31T01:30:00Z')))).toEqual({
      start: '2027-10-30T20:00:00.000Z',
      end: '2027-10-31T06:00:00.000Z',
    });
    // Sunday night is not in a Saturday-only window.
    expect(quietWindow(sat, at('2027-03-28T21:30:00Z'))).toBeUndefined();
  });

  it('merges weeknights and weekends into one window, Friday evening to Monday morning', () => {
    const nights = q({ days: [1, 2, 3, 4, 5], weekends: true });
    // Friday 2027-01-08 23:00 CET: until the weekend ends (Monday 00:00; Sunday night is not
    // one of the days, so Monday morning is not quiet).
    expect(span(quietWindow(nights, at('2027-01-08T22:00:00Z')))).toEqual({
      start: '2027-01-08T21:00:00.000Z',
      end: '2027-01-10T23:00:00.000Z',
    });
    // Sunday noon is in the same window.
    expect(span(quietWindow(nights, at('2027-01-10T11:00:00Z')))?.start).toBe('2027-01-08T21:00:00.000Z');
    // Monday noon: not quiet.
    expect(quietWindow(nights, at('2027-01-11T11:00:00Z'))).toBeUndefined();
    // With Sunday night, the weekend runs into Monday 07:00.
    const all = q({ days: [0, 1, 2, 3, 4, 5], weekends: true });
    expect(span(quietWindow(all, at('2027-01-10T11:00:00Z')))?.end).toBe('2027-01-11T06:00:00.000Z');
    // A daytime window (end after start) stays in its day.
    const lunch = q({ start: '12:00', end: '13:00', days: [3] });
    expect(span(quietWindow(lunch, at('2027-01-06T11:30:00Z')))).toEqual({
      start: '2027-01-06T11:00:00.000Z',
      end: '2027-01-06T12:00:00.000Z',
    });
  });
});
