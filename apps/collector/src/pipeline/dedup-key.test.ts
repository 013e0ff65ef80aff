import { describe, expect, it } from 'vitest';
import { dedupKeyOf } from './dedup-key.js';

describe('dedupKeyOf', () => {
  const fields = { 'proc.name': 'bash', 'container.id': 'abc', 'user.name': 'root', 'proc.aname[2]': 'runc' };

  it('ignores key order and per-occurrence fields (time, pids, fd numbers)', () => {
    const a = dedupKeyOf('R', { ...fields, 'evt.time': 1, 'proc.pid': 10, 'fd.num': 3, 'proc.apid[2]': 7 });
    const b = dedupKeyOf('R', {
      'evt.time.iso8601': '2024-01-01T00:00:00Z',
      'proc.pid': 99,
      'proc.ppid': 98,
      'thread.tid': 97,
      'proc.apid[2]': 8,
      'user.name': 'root',
      'container.id': 'abc',
      'proc.aname[2]': 'runc',
      'proc.name': 'bash',
    });
    expect(a).toBe(b);
    expect(a).toMatch(/^[0-9a-f]{32}$/);
  });

  it('separates rules and differing key fields, values by type', () => {
    const base = dedupKeyOf('R', fields);
    expect(dedupKeyOf('Other', fields)).not.toBe(base);
    expect(dedupKeyOf('R', { ...fields, 'proc.name': 'sh' })).not.toBe(base);
    expect(dedupKeyOf('R', { ...fields, 'proc.aname[2]': 'sshd' })).not.toBe(base);
    expect(dedupKeyOf('R', { x: 1 })).not.toBe(dedupKeyOf('R', { x: '1' }));
    expect(dedupKeyOf('R', { x: null })).not.toBe(dedupKeyOf('R', {}));
  });
});
