import { describe, expect, it } from 'vitest';
import { formatIp, nsDiff, parseIp, parseNet, textToBytes, toInteger } from './values.js';

describe('values', () => {
  it('parses IPv4 and IPv6 addresses', () => {
    expect(parseIp('10.0.0.1')?.bytes).toEqual(Uint8Array.from([10, 0, 0, 1]));
    expect(parseIp('10.0.0.1')?.family).toBe(4);
    expect(parseIp('::1')?.bytes).toEqual(Uint8Array.from([...new Array(15).fill(0), 1]));
    expect(parseIp('0:0:0:0:0:0:0:1')).toEqual(parseIp('::1'));
    expect(parseIp('2001:db8::ff00:42:8329')?.family).toBe(6);
    expect(parseIp('::ffff:1.2.3.4')?.bytes.slice(10)).toEqual(Uint8Array.from([255, 255, 1, 2, 3, 4]));
    for (const bad of ['256.0.0.1', '1.2.3', '1.2.3.4.5', 'a.b.c.d', '1::2::3', '12345::', '', 'host']) {
      expect(parseIp(bad), bad).toBeUndefined();
    }
  });

  it('formats addresses back', () => {
    expect(formatIp(parseIp('142.251.111.147')!)).toBe('142.251.111.147');
    expect(formatIp(parseIp('0:0:0:0:0:0:0:1')!)).toBe('::1');
    expect(formatIp(parseIp('2001:db8:0:0:1:0:0:1')!)).toBe('2001:db8::1:0:0:1');
  });

  it('parses networks', () => {
    expect(parseNet('10.0.0.0/8')).toMatchObject({ kind: 'net', family: 4, prefix: 8 });
    expect(parseNet('fd00::/8')).toMatchObject({ family: 6, prefix: 8 });
    expect(parseNet('10.0.0.1')).toMatchObject({ prefix: 32 });
    expect(parseNet('10.0.0.0/33')).toBeUndefined();
    expect(parseNet('10.0.0.0/x')).toBeUndefined();
  });

  it('normalises integers: number below 2^53, bigint above', () => {
    expect(toInteger('42')).toBe(42);
    expect(toInteger('-7')).toBe(-7);
    expect(toInteger(' 5 ')).toBe(5);
    expect(toInteger('1470327477881781397')).toBe(1470327477881781397n);
    expect(toInteger('0x10')).toBe(16);
    expect(toInteger(3.9)).toBe(3);
    expect(toInteger(true)).toBe(1);
    expect(toInteger('1.5')).toBeUndefined();
    expect(toInteger('abc')).toBeUndefined();
    expect(toInteger(null)).toBeUndefined();
  });

  it('differences of epoch-ns strings', () => {
    expect(nsDiff('1470327477881781397', '1470327477000000000')).toBe(881781397);
    expect(nsDiff(undefined, '1')).toBeUndefined();
  });

  it('encodes text to bytes: U+0000..U+00FF as single bytes, the rest as UTF-8', () => {
    expect(textToBytes('hi')).toEqual(Uint8Array.from([104, 105]));
    expect(textToBytes('\u00ff')).toEqual(Uint8Array.from([255]));
    expect(textToBytes('€')).toEqual(Uint8Array.from([0xe2, 0x82, 0xac]));
  });
});
