import { describe, expect, it } from 'vitest';
import { BLOCK, ScapFormatError } from './format.js';
import { readScap, ScapReader, type ScapEventRecord, type ScapRecord } from './read-scap.js';
import { writeSampleCapture } from './sample-capture.js';
import { ScapWriter } from './write-scap.js';

const sample = writeSampleCapture();

/** A record as plain data: an event's header and its parameters' bytes. */
function plain(r: ScapRecord): unknown {
  if (r.kind !== 'event') return r;
  const { offset, cpu, dumpFlags, ts, tid, type } = r;
  return { kind: r.kind, offset, cpu, dumpFlags, ts, tid, type, params: r.params.map((p) => [...p]) };
}

function records(bytes: Uint8Array): ScapRecord[] {
  return [...readScap(bytes)];
}

/** A hand-built block (type, body) with its padding and trailer. */
function block(type: number, body: number[]): number[] {
  const total = Math.ceil((12 + body.length) / 4) * 4;
  const le32 = (v: number) => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff];
  return [
    ...le32(type),
    ...le32(total),
    ...body,
    ...new Array(total - 12 - body.length).fill(0),
    ...le32(total),
  ];
}

const le = (v: bigint, n: number) =>
  Array.from({ length: n }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn));

describe('readScap', () => {
  it('reads back every block the writer writes', () => {
    const w = new ScapWriter()
      .machineInfo({ numCpus: 4, hostname: 'h1', bootTs: 5n })
      .interfaces([{ family: 6, name: 'eth0', addr: new Uint8Array(16).fill(1) }])
      .users([{ uid: 7, gid: 8, name: 'u', home: '/h', shell: '/s' }], [{ gid: 8, name: 'g' }])
      .processes([
        {
          tid: 10,
          pid: 10,
          ptid: 1,
          comm: 'x',
          args: ['a', 'b c'],
          env: ['K=V'],
          tty: 3,
          loginuid: 9,
          pgid: 10,
        },
      ])
      .fds(10, [
        { fd: 3, type: 16, name: '/f', openFlags: 4097, dev: 2 },
        {
          fd: 4,
          type: 3,
          sip: Uint8Array.of(1, 2, 3, 4),
          dip: Uint8Array.of(5, 6, 7, 8),
          sport: 1,
          dport: 2,
          l4proto: 2,
        },
        { fd: 5, type: 8, source: 0xffn, dest: 0xeen, name: '/run/s' },
      ])
      .event({ ts: 99n, tid: 10, type: 5, params: { res: 0, fd: 3 }, cpu: 2 })
      .event({ ts: 100n, tid: 10, type: 324, raw: [new Uint8Array(70000)] })
      .event({ ts: 101n, tid: 10, type: 4, params: { fd: 3 }, dumpFlags: 1 });
    const rs = records(w.toBytes());
    expect(rs.map((r) => r.kind)).toEqual([
      'section',
      'machine',
      'interfaces',
      'users',
      'processes',
      'fds',
      'event',
      'event',
      'event',
    ]);
    expect(rs[0]).toEqual({ kind: 'section', major: 1, minor: 2 });
    expect(rs[1]).toMatchObject({ numCpus: 4, hostname: 'h1', bootTs: 5n });
    expect(rs[2]).toMatchObject({ interfaces: [{ family: 6, name: 'eth0' }] });
    expect(rs[3]).toEqual({
      kind: 'users',
      users: [{ uid: 7, gid: 8, name: 'u', home: '/h', shell: '/s' }],
      groups: [{ gid: 8, name: 'g' }],
    });
    expect(rs[4]).toMatchObject({
      version: 9,
      threads: [{ tid: 10, comm: 'x', args: ['a', 'b c'], env: ['K=V'], tty: 3, loginuid: 9, pgid: 10 }],
    });
    expect(rs[5]).toMatchObject({
      tid: 10,
      fds: [
        { fd: 3, type: 16, name: '/f', openFlags: 4097, dev: 2 },
        { fd: 4, type: 3, sport: 1, dport: 2, l4proto: 2 },
        { fd: 5, type: 8, source: 0xffn, dest: 0xeen, name: '/run/s' },
      ],
    });
    const [close, big, stateOnly] = rs.slice(6) as ScapEventRecord[];
    expect(close).toMatchObject({ ts: 99n, tid: 10, type: 5, cpu: 2, dumpFlags: 0 });
    expect(close!.params.map((p) => p.length)).toEqual([8, 8]);
    expect(big!.params[0]!.length).toBe(70000); // large block, u32 lengths
    expect(stateOnly!.dumpFlags).toBe(1);
  });

  it('infers the parameter count of v1 event blocks (no nparams) and reads old process lists', () => {
    const shb = block(0x0a0d0d0a, [...le(0x1a2b3c4dn, 4), 1, 0, 0, 0, ...le(-1n, 8)]);
    // PL v1: tid pid ptid, comm, exe, args, cwd, fdlimit, flags, uid, gid.
    const str = (s: string) => [...le(BigInt(s.length), 2), ...Buffer.from(s)];
    const pl = block(BLOCK.PROCESS_LIST_V1, [
      ...le(5n, 8),
      ...le(5n, 8),
      ...le(1n, 8),
      ...str('sh'),
      ...str('/bin/sh'),
      ...str(''),
      ...str('/'),
      ...le(1024n, 8),
      ...le(0n, 4),
      ...le(0n, 4),
      ...le(0n, 4),
    ]);
    // close exit (code 5) as an old file wrote it: 22-byte header, one u16 length, res.
    const ev = [
      ...le(1n, 8),
      ...le(5n, 8),
      ...le(22n + 2n + 8n, 4),
      ...le(5n, 2),
      ...le(8n, 2),
      ...le(0n, 8),
    ];
    const evBlock = block(BLOCK.EVENT_V1, [0, 0, ...ev]);
    const rs = records(Uint8Array.from([...shb, ...pl, ...evBlock]));
    expect(rs[1]).toMatchObject({
      kind: 'processes',
      version: 1,
      threads: [{ tid: 5, comm: 'sh', exe: '/bin/sh' }],
    });
    expect(rs[2]).toMatchObject({ kind: 'event', type: 5, tid: 5 });
    expect((rs[2] as ScapEventRecord).params.length).toBe(1);
  });

  it('reads 64-bit thread ids as numbers, negative and past 32 bits, as Number(BigInt) does', () => {
    const tids = [0, 1, -1, 2 ** 31, -(2 ** 31) - 1, 2 ** 40 + 5, -(2 ** 40) - 5, 2 ** 53 - 1];
    const w = new ScapWriter();
    for (const tid of tids) w.event({ ts: 1n, tid, type: 5, params: { res: 0, fd: 3 } });
    const got = records(w.toBytes())
      .filter((r): r is ScapEventRecord => r.kind === 'event')
      .map((r) => r.tid);
    expect(got).toEqual(tids);
  });

  it('gives the same records for any chunking of the input', () => {
    const whole = records(sample);
    for (const size of [1, 3, 7, 64, 1000]) {
      const reader = new ScapReader();
      const got: ScapRecord[] = [];
      for (let i = 0; i < sample.length; i += size) got.push(...reader.push(sample.subarray(i, i + size)));
      reader.end();
      // Event records point into whichever buffer held their block: compare what they hold.
      expect(got.map(plain)).toEqual(whole.map(plain));
    }
  });

  it('names the problem and the block offset of bad input', () => {
    const fail = (bytes: Uint8Array) => {
      try {
        records(bytes);
      } catch (e) {
        expect(e).toBeInstanceOf(ScapFormatError);
        return e as ScapFormatError;
      }
      throw new Error('no error');
    };
    expect(fail(new TextEncoder().encode('{"evt.type":"open"}\n')).code).toBe('SCAP_NOT_A_CAPTURE');
    expect(fail(new Uint8Array(0)).code).toBe('SCAP_NOT_A_CAPTURE');
    expect(fail(new ScapWriter().toBytes()).code).toBe('SCAP_NO_EVENTS');
    const truncated = fail(sample.subarray(0, sample.length - 5));
    expect(truncated.code).toBe('SCAP_TRUNCATED');
    expect(truncated.message).toMatch(/capture ends inside a block .* \(at byte \d+\)/);
    // A bad trailer in the machine-info block (it starts at 28, after the section header).
    const bad = sample.slice();
    bad[28 + 191] = 0x7f;
    const e = fail(bad);
    expect(e.code).toBe('SCAP_CORRUPT_BLOCK');
    expect(e.offset).toBe(28);
    expect(e.message).toContain('block 0x201');
    // An event whose length field disagrees with its parameters.
    const lastEvent = new ScapWriter()
      .event({ ts: 1n, tid: 1, type: 5, params: { res: 0, fd: 1 } })
      .toBytes();
    lastEvent[28 + 8 + 2 + 16]! += 1;
    expect(fail(lastEvent).code).toBe('SCAP_CORRUPT_EVENT');
  });

  it('bounds the block size it buffers', () => {
    const reader = new ScapReader({ maxBlockBytes: 1024 });
    const big = new ScapWriter().event({ ts: 1n, tid: 1, type: 324, raw: [new Uint8Array(4096)] }).toBytes();
    expect(() => [...reader.push(big)]).toThrow(/above the reader's bound of 1024/);
  });

  it('refuses a block past its bound from its header, before the rest of it arrives', () => {
    const reader = new ScapReader({ maxBlockBytes: 1024 });
    const big = new ScapWriter().event({ ts: 1n, tid: 1, type: 324, raw: [new Uint8Array(4096)] }).toBytes();
    // The section header block, then the big block's 8-byte header alone, a few bytes at a time.
    const shbLength = new DataView(big.buffer, big.byteOffset + 4, 4).getUint32(0, true);
    expect(() => {
      for (let i = 0; i < shbLength + 8; i += 3)
        [...reader.push(big.subarray(i, Math.min(i + 3, shbLength + 8)))];
    }).toThrow(/above the reader's bound of 1024/);
  });

  it('counts the bytes left inside a cut block, however the input was chunked', () => {
    const whole = records(sample).length;
    expect(whole).toBeGreaterThan(10);
    // A block's end in the middle of the sample: a cut just past it leaves less than a header.
    const half = new ScapReader();
    [...half.push(sample.subarray(0, Math.floor(sample.length / 2)))];
    for (const cut of [
      sample.length - 1,
      sample.length - 37,
      Math.floor(sample.length / 2),
      half.offset + 3,
    ]) {
      // The bytes after the last whole block before the cut: what end() must call left over.
      const complete = new ScapReader();
      let consumed = 0;
      try {
        [...complete.push(sample.subarray(0, cut))];
      } finally {
        consumed = complete.offset;
      }
      for (const size of [1, 5, 4096, cut]) {
        const reader = new ScapReader();
        for (let i = 0; i < cut; i += size) [...reader.push(sample.subarray(i, Math.min(i + size, cut)))];
        expect(reader.offset).toBe(consumed);
        expect(() => reader.end()).toThrow(`capture ends inside a block (${cut - consumed} bytes left over)`);
      }
    }
  });

  it('survives truncations and bit flips: a record stream or a ScapFormatError, never anything else', () => {
    let seed = 17;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const outcomes = { ok: 0, error: 0 };
    const attempt = (bytes: Uint8Array) => {
      try {
        for (const _ of readScap(bytes)) {
          // consume
        }
        outcomes.ok++;
      } catch (e) {
        if (!(e instanceof ScapFormatError)) throw e;
        outcomes.error++;
      }
    };
    for (let n = 0; n < sample.length; n += 13) attempt(sample.subarray(0, n));
    for (let i = 0; i < 1500; i++) {
      const bytes = sample.slice();
      const flips = 1 + Math.floor(rand() * 4);
      for (let k = 0; k < flips; k++)
        bytes[Math.floor(rand() * bytes.length)]! ^= 1 << Math.floor(rand() * 8);
      attempt(bytes);
    }
    expect(outcomes.error).toBeGreaterThan(100);
    expect(outcomes.ok).toBeGreaterThan(100);
  });
});

describe('ScapWriter bounds', () => {
  it("cuts process-list strings at libscap's bounds (paths 1024 bytes, lists 4096), so sysdig reads the file", () => {
    const longExe = `/${'é'.repeat(1500)}`;
    const args = Array.from({ length: 100 }, (_, i) => `argument-${i}-${'x'.repeat(50)}`);
    const w = new ScapWriter()
      .processes([{ tid: 7, exe: longExe, args, cwd: '/tmp' }])
      .event({ ts: 1n, tid: 7, type: 186, params: { status: 0 } });
    const list = records(w.toBytes()).find((r) => r.kind === 'processes');
    const t = list?.kind === 'processes' ? list.threads[0] : undefined;
    expect(new TextEncoder().encode(t?.exe).length).toBeLessThanOrEqual(1024);
    expect(t?.exe.startsWith('/éé')).toBe(true);
    expect(t?.exe.endsWith('é')).toBe(true);
    // Whole arguments only, in order, within 4096 bytes with their NULs.
    expect(t?.args).toEqual(args.slice(0, t?.args.length));
    expect(t!.args.reduce((n, a) => n + a.length + 1, 0)).toBeLessThanOrEqual(4096);
    expect(t!.args.length).toBeGreaterThan(60);
    expect(t?.cwd).toBe('/tmp');
  });
});
