import { describe, expect, it } from 'vitest';
import {
  formatIp,
  ipEquals,
  netContains,
  parseIpLiteral,
  parseIpv4,
  parseIpv6,
  parseNetLiteral,
} from './ip.js';

describe('ip parsing', () => {
  it('parses dotted quads like inet_pton', () => {
    expect([...parseIpv4('10.0.0.1')!]).toEqual([10, 0, 0, 1]);
    expect(parseIpv4('10.0.0.01')).toBeUndefined();
    expect(parseIpv4('256.0.0.1')).toBeUndefined();
    expect(parseIpv4('1.2.3')).toBeUndefined();
  });

  it('parses IPv6 with compression and an embedded IPv4 tail', () => {
    expect(formatIp({ kind: 'ip', family: 6, bytes: parseIpv6('2001:db8::1')! })).toBe('2001:db8::1');
    expect([...parseIpv6('::ffff:1.2.3.4')!.slice(12)]).toEqual([1, 2, 3, 4]);
    expect(parseIpv6('1::2::3')).toBeUndefined();
    expect(parseIpv6('0:0:0:0:0:0:0:1')).toEqual(parseIpv6('::1'));
  });

  it('chooses the family by the presence of a dot', () => {
    expect(parseIpLiteral('127.0.0.1')?.family).toBe(4);
    expect(parseIpLiteral('::1')?.family).toBe(6);
    expect(parseIpLiteral('localhost')).toBeUndefined();
  });
});

describe('ip comparison', () => {
  it('compares addresses within a family only', () => {
    expect(ipEquals(parseIpLiteral('::1')!, parseIpLiteral('::1')!)).toBe(true);
    expect(ipEquals(parseIpLiteral('127.0.0.1')!, parseIpLiteral('::1')!)).toBe(false);
  });

  it('masks by prefix length, including non-octet prefixes', () => {
    const net = parseNetLiteral('142.0.0.0/4')!;
    expect(netContains(net, parseIpLiteral('142.251.111.147')!)).toBe(true);
    expect(netContains(net, parseIpLiteral('160.0.0.1')!)).toBe(false);
    expect(netContains(parseNetLiteral('2001:4860::0/32')!, parseIpLiteral('2001:4860:4860::8888')!)).toBe(
      true,
    );
    expect(netContains(parseNetLiteral('10.0.0.0/8')!, parseIpLiteral('::1')!)).toBe(false);
    expect(parseNetLiteral('10.0.0.0/33')).toBeUndefined();
    expect(parseNetLiteral('10.0.0.0')).toBeUndefined();
  });
});
