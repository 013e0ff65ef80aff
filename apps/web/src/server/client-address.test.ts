import { describe, expect, it } from 'vitest';
import {
  parseTrustedProxies,
  peerAddress,
  rateLimitSubject,
  resolveClientAddress,
  runWithPeerAddress,
} from './client-address';

const none = parseTrustedProxies([]);
const proxies = parseTrustedProxies(['10.0.0.2', '172.16.0.0/12', 'fd00::/8']);

describe('resolveClientAddress', () => {
  it('ignores X-Forwarded-For from a client that is not a trusted proxy (the spoof)', () => {
    for (const forwardedFor of ['198.51.100.1', '127.0.0.1', '10.0.0.2, 198.51.100.1', 'garbage']) {
      expect(resolveClientAddress({ peer: '203.0.113.9', forwardedFor, trustedProxies: none })).toBe(
        '203.0.113.9',
      );
      expect(resolveClientAddress({ peer: '203.0.113.9', forwardedFor, trustedProxies: proxies })).toBe(
        '203.0.113.9',
      );
    }
  });

  it('believes the address a trusted proxy appended, not what the client put before it', () => {
    const resolve = (forwardedFor: string | null) =>
      resolveClientAddress({ peer: '10.0.0.2', forwardedFor, trustedProxies: proxies });
    expect(resolve('203.0.113.9')).toBe('203.0.113.9');
    // The client sent "X-Forwarded-For: 1.2.3.4"; the proxy appended the address it saw.
    expect(resolve('1.2.3.4, 203.0.113.9')).toBe('203.0.113.9');
    // Two trusted hops (load balancer -> proxy -> console) are skipped.
    expect(resolve('1.2.3.4, 203.0.113.9, 172.16.5.5')).toBe('203.0.113.9');
    // Garbage the client wrote is never reached; a malformed hop next to a proxy stops the walk.
    expect(resolve('not-an-ip, 203.0.113.9')).toBe('203.0.113.9');
    expect(resolve('1.2.3.4, not-an-ip')).toBe('10.0.0.2');
    // A request from the proxy itself (health checks) is the proxy.
    expect(resolve(null)).toBe('10.0.0.2');
  });

  it('treats a dual-stack socket IPv4 client as IPv4, and IPv6 proxies by range', () => {
    expect(
      resolveClientAddress({ peer: '::ffff:203.0.113.9', forwardedFor: null, trustedProxies: none }),
    ).toBe('203.0.113.9');
    expect(
      resolveClientAddress({ peer: 'fd00::1', forwardedFor: '2001:db8::7', trustedProxies: proxies }),
    ).toBe('2001:db8::7');
  });

  it('knows no client when the request did not come through the console server', () => {
    expect(resolveClientAddress({ peer: null, forwardedFor: '198.51.100.1', trustedProxies: proxies })).toBe(
      null,
    );
  });
});

describe('the peer address of the request being handled', () => {
  it('is set by runWithPeerAddress for everything the request awaits', async () => {
    expect(peerAddress()).toBeNull();
    const seen = await runWithPeerAddress('192.0.2.10', async () => {
      // A real timer hop is the behaviour under test: the address must survive an await.
      await new Promise((resolve) => setTimeout(resolve, 1));
      return peerAddress();
    });
    expect(seen).toBe('192.0.2.10');
    expect(peerAddress()).toBeNull();
  });
});

describe('parseTrustedProxies', () => {
  it('refuses entries that are not addresses or ranges', () => {
    expect(() => parseTrustedProxies(['proxy.internal'])).toThrow(/not an IP address/);
    expect(() => parseTrustedProxies(['10.0.0.0/40'])).toThrow(/not an IP address/);
  });
});

describe('rateLimitSubject', () => {
  it('counts an IPv6 /64 as one client and an IPv4 address as itself', () => {
    expect(rateLimitSubject('203.0.113.9')).toBe('203.0.113.9');
    expect(rateLimitSubject('2001:db8:1:2::1')).toBe(rateLimitSubject('2001:db8:1:2:ffff::9'));
    expect(rateLimitSubject('2001:db8:1:2::1')).not.toBe(rateLimitSubject('2001:db8:1:3::1'));
  });
});
