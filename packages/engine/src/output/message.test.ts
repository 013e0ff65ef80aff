import { describe, expect, it } from 'vitest';
import { outputMessage } from './message.js';

describe('outputMessage', () => {
  it("drops Falco's time and priority prefix", () => {
    expect(outputMessage('10:20:30.123456789: Warning A shell was spawned (user=root)')).toBe(
      'A shell was spawned (user=root)',
    );
    expect(outputMessage('2026-12-05T10:20:30.123456789+0000: Critical Miner (pid=1)')).toBe('Miner (pid=1)');
    expect(outputMessage('2026-12-05T10:20:30.123Z: Informational x')).toBe('x');
  });

  it('keeps outputs without the prefix whole, priority-like first words included', () => {
    expect(outputMessage('Warning signs everywhere')).toBe('Warning signs everywhere');
    expect(outputMessage('12:00 is not a time prefix')).toBe('12:00 is not a time prefix');
  });
});
