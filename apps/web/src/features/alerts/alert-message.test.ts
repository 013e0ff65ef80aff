import { describe, expect, it } from 'vitest';
import { alertMessage } from './alert-message';

describe('alertMessage', () => {
  it("drops Falco's time and priority prefix", () => {
    expect(alertMessage('10:20:30.123456789: Warning A shell was spawned (user=root)')).toBe(
      'A shell was spawned (user=root)',
    );
    expect(alertMessage('2026-12-05T10:20:30.123456789+0000: Critical Miner (pid=1)')).toBe('Miner (pid=1)');
    expect(alertMessage('2026-12-05T10:20:30.123Z: Informational x')).toBe('x');
  });

  it('keeps outputs without the prefix whole, priority-like first words included', () => {
    expect(alertMessage('Warning signs everywhere')).toBe('Warning signs everywhere');
    expect(alertMessage('12:00 is not a time prefix')).toBe('12:00 is not a time prefix');
  });
});
