import { describe, expect, it } from 'vitest';
import {
  createOutboundPolicy,
  embeddedIpv4,
  forbiddenReason,
  outboundAllowProblem,
} from './outbound-policy.js';

describe('forbiddenReason', () => {
  it('refuses loopback, private, CGNAT, link-local/metadata, unspecified, multicast and ULA', () => {
    for (const a of [
      '127.0.0.1',
      '127.255.0.9',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '100.64.0.1',
      '169.254.169.254',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fd00:ec2::254',
      'fc00::1',
      'fe80::1',
      'ff02::1',
    ])
      expect(forbiddenReason(a), a).toBeDefined();
  });

  it('judges IPv4 carried in IPv6 by its IPv4 address', () => {
    expect(embeddedIpv4('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(embeddedIpv4('::ffff:7f00:1')).toBe('127.0.0.1');
    expect(embeddedIpv4('64:ff9b::a9fe:a9fe')).toBe('169.254.169.254');
    expect(embeddedIpv4('2002:c0a8:0101::1')).toBe('192.168.1.1');
    expect(forbiddenReason('::ffff:169.254.169.254')).toMatch(/link-local/);
    expect(forbiddenReason('::ffff:8.8.8.8')).toBeUndefined();
  });

  it('lets public unicast addresses through', () => {
    for (const a of ['8.8.8.8', '140.82.112.5', '2606:4700::1111'])
      expect(forbiddenReason(a), a).toBeUndefined();
  });
});

describe('COLLECTOR_OUTBOUND_ALLOW entries', () => {
  it('accepts CIDRs, addresses and host names, and refuses the rest', () => {
    for (const e of ['127.0.0.1/32', '10.0.0.0/8', 'fd00::/8', '127.0.0.1', '::1', 'ghe.internal', 'minio'])
      expect(outboundAllowProblem(e), e).toBeUndefined();
    for (const e of ['10.0.0.0/33', 'nope/8', 'http://x', 'a b'])
      expect(outboundAllowProblem(e), e).toBeDefined();
  });

  it('allowed CIDRs and hosts pass; everything else forbidden stays refused', () => {
    const policy = createOutboundPolicy({ allow: ['10.0.0.0/8', 'minio.internal'] });
    expect(() => policy.checkAddress('10.2.3.4', '10.2.3.4')).not.toThrow();
    expect(() => policy.checkAddress('minio.internal', '192.168.5.5')).not.toThrow();
    expect(() => policy.checkAddress('other.internal', '192.168.5.5')).toThrow(/private/);
    expect(() => policy.checkUrl('http://127.0.0.1/')).toThrow(/loopback/);
    expect(() => policy.checkUrl('file:///etc/passwd')).toThrow(/not http/);
    expect(() => policy.checkUrl('http://user:pw@example.com/')).toThrow(/credentials/);
  });
});
