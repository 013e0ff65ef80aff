import { describe, expect, it } from 'vitest';
import { hexToBytes, LiteralError, operatorError, parseLiteral } from './value-kinds.js';

describe('parseLiteral', () => {
  it('parses integers strictly, with sscanf-like leading blanks', () => {
    expect(parseLiteral('INT64', '-22')).toBe(-22);
    expect(parseLiteral('INT64', ' 7')).toBe(7);
    for (const bad of ['0x10', '1.0', '1e3', '10 ', '', 'abc']) {
      expect(() => parseLiteral('INT64', bad)).toThrow(LiteralError);
    }
    expect(() => parseLiteral('INT64', '0x10')).toThrow('0x10 is not a valid number');
  });

  it('truncates to the field width and wraps unsigned values', () => {
    expect(parseLiteral('INT8', '300')).toBe(44);
    expect(parseLiteral('UINT32', '-1')).toBe(4294967295);
    expect(parseLiteral('UINT64', '-1')).toBe(18446744073709551615n);
    expect(parseLiteral('INT64', '9223372036854775807')).toBe(9223372036854775807n);
    expect(parseLiteral('INT64', '99999999999999999999')).toBe(9223372036854775807n);
    expect(parseLiteral('UINT64', '99999999999999999999')).toBe(18446744073709551615n);
  });

  it('parses DOUBLE right-hand values as 32-bit integers', () => {
    expect(parseLiteral('DOUBLE', '3')).toBe(3);
    expect(() => parseLiteral('DOUBLE', '1.5')).toThrow(LiteralError);
  });

  it('accepts port numbers and service names', () => {
    expect(parseLiteral('PORT', '8080')).toBe(8080);
    expect(parseLiteral('PORT', 'https')).toBe(443);
    expect(parseLiteral('PORT', 'ssh')).toBe(22);
    expect(() => parseLiteral('PORT', 'nosuchservice')).toThrow('unrecognized protocol nosuchservice');
  });

  it('accepts only true/false for BOOL', () => {
    expect(parseLiteral('BOOL', 'true')).toBe(true);
    expect(() => parseLiteral('BOOL', 'TRUE')).toThrow(LiteralError);
  });

  it('parses IP addresses and networks by type', () => {
    expect(parseLiteral('IPADDR', '10.0.0.1')).toMatchObject({ kind: 'ip', family: 4 });
    expect(parseLiteral('IPNET', '10.0.0.0/8')).toMatchObject({ kind: 'net', prefix: 8 });
    expect(() => parseLiteral('IPADDR', '10.0.0')).toThrow(LiteralError);
  });
});

describe('hexToBytes', () => {
  it('needs an even number of hex digits', () => {
    expect([...hexToBytes('656c6C')!]).toEqual([0x65, 0x6c, 0x6c]);
    expect(hexToBytes('2')).toBeUndefined();
    expect(hexToBytes('2g')).toBeUndefined();
  });
});

describe('operatorError', () => {
  it('follows the operator/type matrix', () => {
    expect(operatorError('UINT64', false, 'contains', false)).toBe(
      "'contains' operator not supported for numeric filters",
    );
    expect(operatorError('BOOL', false, '<', false)).toBeDefined();
    expect(operatorError('BYTEBUF', false, 'icontains', false)).toBeDefined();
    expect(operatorError('BYTEBUF', false, 'bcontains', false)).toBeUndefined();
    expect(operatorError('IPADDR', false, '==', true)).toBeUndefined();
    expect(operatorError('IPADDR', false, 'contains', true)).toBeDefined();
    expect(operatorError('CHARBUF', true, '=', false)).toBeDefined();
    expect(operatorError('CHARBUF', true, 'intersects', false)).toBeUndefined();
  });
});
