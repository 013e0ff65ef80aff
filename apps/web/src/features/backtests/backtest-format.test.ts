import { describe, expect, it } from 'vitest';
import { alertIdOf, duration, progressPercent, rangeOf, rate, toLocalInput } from './backtest-format';

describe('backtest helpers', () => {
  it('turns a preset into a range ending now, and reads a custom one', () => {
    const now = new Date('2026-12-01T12:00:00Z');
    expect(rangeOf('24h', { from: '', to: '' }, now)).toEqual({
      from: '2026-11-30T12:00:00.000Z',
      to: '2026-12-01T12:00:00.000Z',
    });
    const from = new Date(2026, 10, 1, 8, 30);
    const to = new Date(2026, 10, 2, 8, 30);
    expect(rangeOf('custom', { from: toLocalInput(from), to: toLocalInput(to) }, now)).toEqual({
      from: from.toISOString(),
      to: to.toISOString(),
    });
    expect(rangeOf('custom', { from: '', to: toLocalInput(to) }, now)).toBeNull();
  });

  it('shows progress, rate and duration', () => {
    expect(progressPercent(250, 1000, 'running')).toBe(25);
    expect(progressPercent(1200, 1000, 'running')).toBe(100);
    expect(progressPercent(0, 0, 'running')).toBe(0);
    expect(progressPercent(10, 1000, 'done')).toBe(100);
    expect(rate(5000, 2000)).toBe(2500);
    expect(rate(0, 0)).toBeNull();
    expect(duration(850)).toBe('850 ms');
    expect(duration(12_400)).toBe('12.4 s');
    expect(duration(185_000)).toBe('3 min 05 s');
  });

  it('finds the stored alert behind a sample', () => {
    expect(alertIdOf('alert:42')).toBe('42');
    expect(alertIdOf('raw:42')).toBeNull();
  });
});
