import { describe, expect, it } from 'vitest';
import { BpftraceRecordAssembler, decodeHexEscaped, splitArgv } from './bpftrace-records.js';

const US = '\x1f';
const rec = (data: string) => JSON.stringify({ type: 'printf', data: `${data}\n` });
const header = (
  type: string,
  nstr: number,
  tid: number,
  ints: Array<string | number>,
  comm: string,
  ret = 3,
) => [type, nstr, '123456789', 1, 4242, tid, 1, 0, 0, ret, ...ints, comm].join(US);

describe('BpftraceRecordAssembler', () => {
  it('joins a header with its string records, even when other threads interleave', () => {
    const a = new BpftraceRecordAssembler();
    expect(a.push(rec(header('openat', 1, 10, [-100, 524288, 0], 'cat'))).kind).toBe('none');
    expect(a.push(rec(header('unlink', 1, 11, [], 'rm', 0))).kind).toBe('none');
    const rm = a.push(rec(`S${US}11${US}/tmp/gone`));
    const cat = a.push(rec(`S${US}10${US}/etc/shadow`));
    expect(rm.kind === 'event' && rm.event.strs).toEqual({ path: '/tmp/gone' });
    expect(cat.kind).toBe('event');
    if (cat.kind !== 'event') return;
    expect(cat.event).toMatchObject({
      type: 'openat',
      monoNs: 123456789n,
      cpu: 1,
      pid: 4242,
      tid: 10,
      ppid: 1,
      ret: 3,
      comm: 'cat',
      ints: { dirfd: '-100', flags: '524288', mode: '0' },
      strs: { name: '/etc/shadow' },
    });
  });

  it('keeps separators and newlines inside free text (comm and paths are last in their record)', () => {
    const a = new BpftraceRecordAssembler();
    a.push(rec(header('rename', 2, 7, [], `we${US}ird`, 0)));
    a.push(rec(`S${US}7${US}/tmp/a${US}b`));
    const r = a.push(rec(`S${US}7${US}/tmp/new\nline`));
    expect(r.kind === 'event' && r.event.comm).toBe(`we${US}ird`);
    expect(r.kind === 'event' && r.event.strs).toEqual({
      oldpath: `/tmp/a${US}b`,
      newpath: '/tmp/new\nline',
    });
  });

  it('emits events without strings at once and reads socket fields', () => {
    const a = new BpftraceRecordAssembler();
    const r = a.push(
      rec(header('connect', 0, 5, [4, 2, 6, 443, 51000, '10.0.0.1', '10.0.0.2'], 'curl', -115)),
    );
    expect(r.kind === 'event' && r.event.ints).toEqual({
      fd: '4',
      family: '2',
      proto: '6',
      sport: '443',
      cport: '51000',
      sip: '10.0.0.1',
      cip: '10.0.0.2',
    });
    expect(r.kind === 'event' && r.event.ret).toBe(-115);
  });

  it('reports lost events, READY, and malformed input without throwing', () => {
    const a = new BpftraceRecordAssembler();
    expect(a.push(JSON.stringify({ type: 'lost_events', data: { events: 17 } }))).toEqual({
      kind: 'lost',
      count: 17,
    });
    expect(a.push(rec('READY')).kind).toBe('ready');
    expect(a.push('{not json').kind).toBe('malformed');
    expect(a.push(rec(`S${US}99${US}/orphan`)).kind).toBe('malformed');
    expect(a.push(rec(header('bogus', 0, 1, [], 'x'))).kind).toBe('malformed');
    expect(a.push(rec(['openat', 1, '1'].join(US))).kind).toBe('malformed');
    expect(a.push(JSON.stringify({ type: 'attached_probes', data: { probes: 3 } })).kind).toBe('none');
  });

  it('bounds headers waiting for strings that never come', () => {
    const a = new BpftraceRecordAssembler();
    for (let tid = 1; tid <= 5000; tid++) a.push(rec(header('openat', 1, tid, [-100, 0, 0], 'cat')));
    expect(a.incomplete).toBe(5000 - 4096);
    // The newest are still matched.
    expect(a.push(rec(`S${US}5000${US}/x`)).kind).toBe('event');
    expect(a.push(rec(`S${US}1${US}/x`)).kind).toBe('malformed');
  });

  it('counts a header whose strings never came as incomplete', () => {
    const a = new BpftraceRecordAssembler();
    a.push(rec(header('openat', 1, 10, [-100, 0, 0], 'cat')));
    a.push(rec(header('openat', 1, 10, [-100, 0, 0], 'cat')));
    expect(a.incomplete).toBe(1);
  });
});

describe('argv decoding', () => {
  it('decodes %rx output into NUL-separated arguments, bytes preserved', () => {
    const hex = [...Buffer.from('/bin/echo\0a b\0c\\x41\0\0')]
      .map((b) => `\\x${b.toString(16).padStart(2, '0')}`)
      .join('');
    expect(splitArgv(decodeHexEscaped(hex))).toEqual(['/bin/echo', 'a b', 'c\\x41', '']);
    expect(splitArgv(decodeHexEscaped(''))).toEqual([]);
  });
});
