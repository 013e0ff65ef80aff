import { describe, expect, it } from 'vitest';
import { decodeParam, decodeParamAt } from './params.js';

const SIZES: Record<string, number> = {
  INT8: 1,
  INT16: 2,
  INT32: 4,
  INT64: 8,
  UINT8: 1,
  UINT16: 2,
  UINT32: 4,
  UINT64: 8,
  ERRNO: 8,
  FD: 8,
  PID: 8,
  SYSCALLID: 2,
  SIGTYPE: 1,
  RELTIME: 8,
  ABSTIME: 8,
  PORT: 2,
  L4PROTO: 1,
  SOCKFAMILY: 1,
  BOOL: 4,
  FLAGS8: 1,
  FLAGS16: 2,
  FLAGS32: 4,
  UID: 4,
  GID: 4,
  DOUBLE: 8,
  SIGSET: 4,
  MODE: 4,
  ENUMFLAGS8: 1,
  ENUMFLAGS16: 2,
  ENUMFLAGS32: 4,
  FD32: 4,
  PID32: 4,
};
const SIGNED = new Set(['INT8', 'INT16', 'INT32', 'INT64', 'ERRNO', 'FD', 'PID', 'FD32', 'PID32']);
const ID64 = new Set(['ERRNO', 'FD', 'PID', 'INT64']);

/** Numeric decoding as libs defines it, read through a DataView: the reference. */
function reference(type: string, bytes: Uint8Array): unknown {
  if (bytes.length === 0) return undefined;
  const n = Math.min(SIZES[type]!, bytes.length);
  const view = new DataView(bytes.buffer, bytes.byteOffset, n);
  if (type === 'DOUBLE') return n === 8 ? view.getFloat64(0, true) : undefined;
  const signed = SIGNED.has(type);
  if (n === 8) {
    if (!signed) return view.getBigUint64(0, true);
    const v = view.getBigInt64(0, true);
    return ID64.has(type) ? Number(v) : v;
  }
  if (n === 4) return signed ? view.getInt32(0, true) : view.getUint32(0, true);
  if (n === 2) return signed ? view.getInt16(0, true) : view.getUint16(0, true);
  if (n === 1) return signed ? view.getInt8(0) : view.getUint8(0);
  return undefined;
}

describe('decodeParam: numeric types', () => {
  it('reads every width and sign as a DataView does, at any offset in a shared buffer', () => {
    let seed = 12345;
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed >>> 24;
    };
    const edges = [0x00, 0x7f, 0x80, 0xff, 0x01, 0xfe];
    const buffer = new Uint8Array(64);
    for (let round = 0; round < 3000; round++) {
      for (let i = 0; i < buffer.length; i++)
        buffer[i] = round % 3 === 0 ? edges[next() % edges.length]! : next();
      const at = next() % 16;
      const len = next() % 10;
      const bytes = buffer.subarray(at, at + len);
      for (const type of Object.keys(SIZES)) {
        expect(decodeParam(type, bytes), `${type} ${[...bytes].join(',')}`).toEqual(reference(type, bytes));
      }
    }
  });

  it('keeps 64-bit ids beyond 2^53 as Number(BigInt) rounds them', () => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigInt64(0, -(2n ** 60n) - 3n, true);
    expect(decodeParam('FD', b)).toBe(Number(-(2n ** 60n) - 3n));
    new DataView(b.buffer).setBigInt64(0, 2n ** 53n + 1n, true);
    expect(decodeParam('PID', b)).toBe(Number(2n ** 53n + 1n));
  });
});

describe('decodeParamAt: a parameter read in place', () => {
  it('decodes bytes[start..end) of a larger buffer as decodeParam decodes a copy of them', () => {
    let seed = 777;
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed >>> 24;
    };
    // Text bytes (with a NUL now and then) and the types whose values are views or texts.
    const types = [
      ...Object.keys(SIZES),
      'CHARBUF',
      'FSPATH',
      'FSRELPATH',
      'BYTEBUF',
      'SOCKADDR',
      'SOCKTUPLE',
      'IPV4ADDR',
      'IPV6ADDR',
    ];
    const buffer = new Uint8Array(96);
    for (let round = 0; round < 2000; round++) {
      for (let i = 0; i < buffer.length; i++) {
        const r = next();
        buffer[i] = r < 20 ? 0 : r < 40 ? r : 0x61 + (r % 26);
      }
      if (round % 4 === 0) buffer[next() % 40] = 2; // an INET family byte for the address types
      const at = next() % 40;
      const len = next() % 40;
      const copy = buffer.slice(at, at + len);
      for (const type of types) {
        expect(decodeParamAt(type, buffer, at, at + len), `${type} at ${at} len ${len}`).toEqual(
          decodeParam(type, copy),
        );
      }
    }
  });
});
