import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { RawEvent } from './bpftrace-records.js';
import { findCaptureLoader } from './libbpf-backend.js';
import {
  formatIp,
  HEADER_SIZE,
  LibbpfRecordDecoder,
  parseLayout,
  RECORD_MAGIC,
  RECORD_OFFSETS,
  RecordStreamError,
  TYPE_LOST,
  TYPE_READY,
} from './libbpf-records.js';
import { headerLayout } from './syscall-specs.js';

const LAYOUT = parseLayout(
  [
    '2 openat|dirfd flags mode|name',
    '5 execve|ttyIndex ttyMajor ttyMinor loginuid argLen envLen exeMemfd|filename argv env cgroup',
    '7 connect|fd family proto sport cport @sip @cip|path',
  ].join('\n'),
);

/** A record as the BPF program lays it out (native/capture.h). */
function record(
  type: number,
  fields: {
    ints?: bigint[];
    addr?: number[][];
    strs?: Buffer[];
    trunc?: number;
    pid?: number;
    ret?: bigint;
    ts?: bigint;
  },
): Buffer {
  const strs = fields.strs ?? [];
  const size = HEADER_SIZE + strs.reduce((n, s) => n + s.length, 0);
  const buf = Buffer.alloc(size);
  buf.writeUInt32LE(size, 0);
  buf.writeUInt16LE(RECORD_MAGIC, 4);
  buf.writeUInt16LE(type, 6);
  buf.writeBigUInt64LE(fields.ts ?? 123_456_789n, 8);
  buf.writeUInt32LE(1, 16);
  buf.writeUInt32LE(fields.pid ?? 42, 20);
  buf.writeUInt32LE(fields.pid ?? 42, 24);
  buf.writeUInt32LE(1, 28);
  buf.writeInt32LE(0, 32);
  buf.writeInt32LE(-1, 36);
  buf.writeBigInt64LE(fields.ret ?? 3n, 40);
  for (const [n, v] of (fields.ints ?? []).entries()) buf.writeBigInt64LE(v, 48 + n * 8);
  for (const [n, bytes] of (fields.addr ?? []).entries()) Buffer.from(bytes).copy(buf, 120 + n * 16);
  buf.write('cat', 152, 'latin1');
  for (const [n, s] of strs.entries()) buf.writeUInt16LE(s.length, RECORD_OFFSETS.slen + n * 2);
  buf[RECORD_OFFSETS.nstr] = strs.length;
  buf[RECORD_OFFSETS.trunc] = fields.trunc ?? 0;
  let p = HEADER_SIZE;
  for (const s of strs) p += s.copy(buf, p);
  return buf;
}

function decoderFor() {
  const out = { events: [] as RawEvent[], lost: 0, ready: 0, malformed: [] as string[] };
  const decoder = new LibbpfRecordDecoder(LAYOUT, {
    event: (e) => out.events.push(e),
    lost: (n) => {
      out.lost += n;
    },
    ready: () => {
      out.ready++;
    },
    malformed: (reason) => out.malformed.push(reason),
  });
  return { decoder, out };
}

describe('libbpf record decoder', () => {
  const open = record(2, { ints: [-100n, 0o2000000n, 0n], strs: [Buffer.from('/etc/shadow')] });
  const exec = record(5, {
    ints: [0n, 136n, 0n, 1000n, 16n],
    strs: [Buffer.from('/usr/bin/cat'), Buffer.from('cat\0/etc/shadow\0')],
    ret: 0n,
  });

  it('decodes fields by the layout, argv included, whatever the chunking', () => {
    const stream = Buffer.concat([open, exec, record(TYPE_LOST, { ints: [7n] }), open]);
    for (const step of [1, 3, 7, 184, 185, 500, stream.length]) {
      const { decoder, out } = decoderFor();
      for (let n = 0; n < stream.length; n += step) decoder.push(stream.subarray(n, n + step));
      expect(out.events.map((e) => e.type)).toEqual(['openat', 'execve', 'openat']);
      expect(out.lost).toBe(7);
      expect(decoder.pendingBytes).toBe(0);
      const [first, second] = out.events;
      expect(first).toMatchObject({
        type: 'openat',
        pid: 42,
        tid: 42,
        ppid: 1,
        euid: 0,
        egid: -1,
        ret: 3,
        cpu: 1,
        comm: 'cat',
        ints: { dirfd: -100, flags: 0o2000000, mode: 0 },
        strs: { name: '/etc/shadow' },
      });
      expect(first?.monoNs).toBe(123_456_789);
      expect(second).toMatchObject({
        strs: { filename: '/usr/bin/cat' },
        argv: ['cat', '/etc/shadow'],
        argvTruncated: false,
        ints: { ttyMajor: 136, loginuid: 1000 },
      });
    }
  });

  it('offers open records with the fields the general path decodes, whatever the chunking and offset', () => {
    const stream = Buffer.concat([
      open,
      exec,
      record(2, {
        ints: [7n, 0o101n, 0o644n],
        strs: [Buffer.from('relative/ü.txt')],
        ret: -13n,
        pid: 0xfffffff0,
        ts: 2n ** 53n + 12_345n,
      }),
      record(2, { ints: [-(2n ** 40n), 0n, 0n], strs: [Buffer.from('/x')], ret: 2n ** 40n, ts: 2n ** 52n }),
      open,
    ]);
    // The general path's fields, as a reference.
    const { decoder: general, out } = decoderFor();
    general.push(stream);
    const expected = out.events
      .filter((e) => e.type === 'openat')
      .map((e) => [
        e.monoNs,
        e.cpu,
        e.pid,
        e.tid,
        e.ppid,
        e.euid,
        e.egid,
        e.ret,
        e.ints.dirfd,
        e.ints.flags,
        e.ints.mode,
        e.comm,
        e.strs.name,
      ]);
    expect(expected).toHaveLength(4);
    // The bytes at an offset inside a larger buffer, as a pipe's chunks can be.
    const backing = Buffer.alloc(stream.length + 13);
    stream.copy(backing, 13);
    const shifted = backing.subarray(13);
    for (const step of [1, 3, 7, 184, 185, 500, stream.length]) {
      const offered: unknown[] = [];
      const decoder = new LibbpfRecordDecoder(LAYOUT, {
        event: () => {},
        open: (r) => {
          offered.push([
            r.monoNs,
            r.cpu,
            r.pid,
            r.tid,
            r.ppid,
            r.euid,
            r.egid,
            r.ret,
            r.dirfd,
            r.flags,
            r.mode,
            r.comm,
            r.name,
          ]);
          return true;
        },
        lost: () => {},
        ready: () => {},
        malformed: (reason) => offered.push(reason),
      });
      for (let n = 0; n < shifted.length; n += step) decoder.push(shifted.subarray(n, n + step));
      expect(offered, `chunks of ${step}`).toEqual(expected);
    }
  });

  it('marks a cut argv and keeps 64-bit values exact', () => {
    const { decoder, out } = decoderFor();
    decoder.push(record(5, { strs: [Buffer.from('/bin/x'), Buffer.from('x\0aaaa')], trunc: 2, ret: 0n }));
    decoder.push(record(2, { ints: [-100n, 0x7fff_ffff_ffff_fff0n, 0n], strs: [Buffer.from('/a')] }));
    decoder.push(
      record(2, {
        ints: [-(2n ** 53n) - 3n, 2n ** 53n - 1n, -(2n ** 53n)],
        strs: [Buffer.from('/a')],
        ts: 2n ** 53n + 1n,
      }),
    );
    decoder.push(record(2, { ints: [0n, 0n, 0n], strs: [Buffer.from('/a')], ts: 2n ** 53n - 1n }));
    expect(out.events[0]?.argv).toEqual(['x', 'aaaa']);
    expect(out.events[0]?.argvTruncated).toBe(true);
    // Numbers while exact, decimal text beyond 2^53; the monotonic time a bigint beyond it.
    expect(out.events[1]?.ints.flags).toBe('9223372036854775792');
    expect(out.events[2]?.ints).toEqual({ dirfd: '-9007199254740995', flags: 2 ** 53 - 1, mode: -(2 ** 53) });
    expect(out.events[2]?.monoNs).toBe(2n ** 53n + 1n);
    expect(out.events[3]?.monoNs).toBe(2 ** 53 - 1);
  });

  it('decodes the environment of an exec, dropping a variable cut by the bound', () => {
    const { decoder, out } = decoderFor();
    const env = Buffer.from('HOME=/root\0GLIBC_TUNABLES=glibc.malloc.check=3\0');
    decoder.push(
      record(5, {
        ints: [0n, 0n, 0n, -1n, 4n, BigInt(env.length), 1n],
        strs: [Buffer.from('/bin/x'), Buffer.from('x\0'), env, Buffer.from('user.slice/')],
        ret: 0n,
      }),
    );
    decoder.push(
      record(5, {
        strs: [Buffer.from('/bin/x'), Buffer.from('x\0'), Buffer.from('A=1\0B=partial-val')],
        trunc: 4,
        ret: 0n,
      }),
    );
    expect(out.malformed).toEqual([]);
    expect(out.events[0]).toMatchObject({
      env: ['HOME=/root', 'GLIBC_TUNABLES=glibc.malloc.check=3'],
      envTruncated: false,
      ints: { exeMemfd: 1, envLen: env.length },
      strs: { cgroup: 'user.slice/' },
    });
    expect(out.events[0]?.strs.env).toBeUndefined();
    expect(out.events[1]?.env).toEqual(['A=1']);
    expect(out.events[1]?.envTruncated).toBe(true);
  });

  it('renders socket addresses by family', () => {
    const { decoder, out } = decoderFor();
    const v6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    decoder.push(
      record(7, {
        ints: [3n, 2n, 6n, 80n, 40000n],
        addr: [
          [127, 0, 0, 1],
          [10, 1, 2, 3],
        ],
      }),
    );
    decoder.push(record(7, { ints: [3n, 10n, 6n, 443n, 40001n], addr: [v6, [...Array(15).fill(0), 1]] }));
    decoder.push(record(7, { ints: [3n, 1n, 0n, 0n, 0n], strs: [Buffer.from('/run/x.sock')] }));
    expect(out.events[0]?.ints).toMatchObject({ sip: '127.0.0.1', cip: '10.1.2.3', sport: 80 });
    expect(out.events[1]?.ints).toMatchObject({ sip: '2001:db8::1', cip: '::1' });
    expect(out.events[2]?.ints).toMatchObject({ sip: '', cip: '' });
    expect(out.events[2]?.strs.path).toBe('/run/x.sock');
  });

  it('formats IPv6 as inet_ntop does', () => {
    const ip = (hex: string) => formatIp(Buffer.from(hex, 'hex'), 0, 10);
    expect(ip('00000000000000000000ffff7f000001')).toBe('::ffff:127.0.0.1');
    expect(ip('fe800000000000000000000000000001')).toBe('fe80::1');
    expect(ip('20010db8000000010000000000000001')).toBe('2001:db8:0:1::1');
    expect(ip('20010db8000100010001000100010001')).toBe('2001:db8:1:1:1:1:1:1');
    expect(ip('00000000000000000000000000000000')).toBe('::');
  });

  it('counts unknown types and inconsistent strings, and stops on a broken stream', () => {
    const { decoder, out } = decoderFor();
    decoder.push(record(99, {}));
    const bad = record(2, { strs: [Buffer.from('/x')] });
    bad.writeUInt16LE(5, 168);
    decoder.push(bad);
    decoder.push(record(TYPE_READY, {}));
    expect(out.malformed).toHaveLength(2);
    expect(out.ready).toBe(1);
    const garbage = Buffer.alloc(200);
    garbage.writeUInt32LE(200, 0);
    expect(() => decoder.push(garbage)).toThrow(RecordStreamError);
    expect(() => decoderFor().decoder.push(Buffer.from([1, 0, 0, 0]))).toThrow(RecordStreamError);
  });
});

const loader = findCaptureLoader();
describe.skipIf(!loader)('peregrine-capture layout', () => {
  it('names every type and field as the bpftrace backend does (enrichment sees the same RawEvent)', () => {
    const layouts = parseLayout(execFileSync(loader!, ['--layout'], { encoding: 'utf8' }));
    const expected = headerLayout();
    // Only the libbpf program reads the cgroup in the kernel at exec (bpftrace's records lack it).
    for (const exec of ['execve', 'execveat']) expected.get(exec)?.strs.push('cgroup');
    const actual = new Map(
      [...layouts.values()].map((l) => [l.name, { ints: l.fields.map((f) => f.name), strs: l.strs }]),
    );
    expect(Object.fromEntries(actual)).toEqual(Object.fromEntries(expected));
  });
});
if (!loader) console.warn('SKIPPING the peregrine-capture layout test: the loader is not built');
