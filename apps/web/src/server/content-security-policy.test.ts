import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy } from './content-security-policy';

function directives(policy: string): Map<string, string[]> {
  return new Map(
    policy.split(';').map((d) => {
      const [name = '', ...values] = d.trim().split(/\s+/);
      return [name, values];
    }),
  );
}

describe('contentSecurityPolicy', () => {
  const policy = directives(
    contentSecurityPolicy({ nonce: 'abc123', collectorUrl: 'http://localhost:2801', development: false }),
  );

  it('runs scripts only with the nonce or loaded by a script that has it', () => {
    expect(policy.get('script-src')).toEqual(["'nonce-abc123'", "'strict-dynamic'"]);
  });

  it('closes plugins, base-tag hijacks, framing and foreign form targets', () => {
    expect(policy.get('object-src')).toEqual(["'none'"]);
    expect(policy.get('base-uri')).toEqual(["'self'"]);
    expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
    expect(policy.get('form-action')).toEqual(["'self'"]);
  });

  it('lets the live alert stream reach the collector (HTTP polling and WebSocket), nothing else', () => {
    expect(policy.get('connect-src')).toEqual(["'self'", 'http://localhost:2801', 'ws://localhost:2801']);
    const tls = directives(
      contentSecurityPolicy({
        nonce: 'n',
        collectorUrl: 'https://collector.example.com/',
        development: false,
      }),
    );
    expect(tls.get('connect-src')).toEqual([
      "'self'",
      'https://collector.example.com',
      'wss://collector.example.com',
    ]);
    const none = directives(contentSecurityPolicy({ nonce: 'n', collectorUrl: null, development: false }));
    expect(none.get('connect-src')).toEqual(["'self'"]);
  });

  it('allows eval only under next dev', () => {
    const dev = directives(contentSecurityPolicy({ nonce: 'n', collectorUrl: null, development: true }));
    expect(dev.get('script-src')).toContain("'unsafe-eval'");
    expect([...policy.values()].flat()).not.toContain("'unsafe-eval'");
    expect(policy.get('script-src')).not.toContain("'unsafe-inline'");
  });
});
