import { describe, expect, it } from 'vitest';
import { wireFields } from './server.js';

/** What the fields were sent as before: a JSON round trip converting bigints. */
function roundTrip(fields: Record<string, unknown>): unknown {
  return JSON.parse(
    JSON.stringify(fields, (_key, v: unknown) =>
      typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()) : v,
    ),
  );
}

describe('wireFields', () => {
  it('sends what the JSON round trip sent, bigints as exact numbers or digits', () => {
    const fields: Record<string, unknown> = {
      'evt.rawtime': 1733400000123456789n,
      'user.uid': 0n,
      'proc.pid': 42,
      'proc.name': 'bash',
      'fd.name': null,
      'proc.aname': ['sshd', 'systemd'],
      'evt.arg.times': [1n, 1733400000123456789n],
      'ka.user': { name: 'x', groups: ['a'], uid: 9007199254740993n },
      'proc.is_exe_writable': true,
    };
    const wire = wireFields(fields);
    expect(wire).toEqual(roundTrip(fields));
    expect(wire['evt.rawtime']).toBe('1733400000123456789');
    expect(wire['user.uid']).toBe(0);
    expect(JSON.stringify(wire)).toBe(JSON.stringify(roundTrip(fields)));
  });
});
