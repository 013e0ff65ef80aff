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

  it('keeps the keys of existing groups (values of every kind, bigints, lists, non-ASCII)', () => {
    // Computed by the implementation that hashed each part with its own update().
    expect(
      dedupKeyOf('Terminal shell in container', {
        'evt.time': 1733400000123456789n,
        'proc.name': 'bash',
        'proc.tty': 34816,
        'proc.args': ['-i', 'x'],
        'user.uid': 0n,
        'container.id': 'abc',
        'fd.name': null,
        'k8s.ns.name': 'défaut \u{1f600}',
      }),
    ).toBe('3c5b469aeb490ca415ab1881eebe64d1');
    expect(dedupKeyOf('R', {})).toBe('8c2574892063f995fdf756bce07f46c1');
  });
});
