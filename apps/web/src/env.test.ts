import { describe, expect, it } from 'vitest';
import { parseServerEnv } from './env';

const base = { DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/peregrine' };

describe('parseServerEnv', () => {
  it('requires BETTER_AUTH_SECRET in production', () => {
    expect(() => parseServerEnv({ ...base, NODE_ENV: 'production' })).toThrow(
      /BETTER_AUTH_SECRET is required/,
    );
  });

  it('rejects a short secret', () => {
    expect(() => parseServerEnv({ ...base, BETTER_AUTH_SECRET: 'short' })).toThrow(/at least 32/);
  });

  it('generates a different ephemeral secret per process outside production', () => {
    const a = parseServerEnv({ ...base, NODE_ENV: 'development' });
    const b = parseServerEnv({ ...base, NODE_ENV: 'development' });
    expect(a.authSecret.length).toBeGreaterThanOrEqual(32);
    expect(a.authSecret).not.toBe(b.authSecret);
  });

  it('requires a postgres DATABASE_URL', () => {
    expect(() => parseServerEnv({ DATABASE_URL: 'mysql://x@y/z' })).toThrow(/DATABASE_URL/);
    expect(() => parseServerEnv({})).toThrow(/DATABASE_URL/);
  });

  it('derives the base URL from PORT and lists trusted origins once', () => {
    const env = parseServerEnv({
      ...base,
      PORT: '4100',
      PEREGRINE_TRUSTED_ORIGINS: 'http://localhost:4100/, https://console.example.com/path',
    });
    expect(env.baseUrl).toBe('http://localhost:4100');
    expect(env.trustedOrigins).toEqual(['http://localhost:4100', 'https://console.example.com']);
  });
});

describe('network settings', () => {
  it('binds the console to loopback unless PEREGRINE_CONSOLE_HOST says otherwise', () => {
    expect(parseServerEnv(base).consoleHost).toBe('127.0.0.1');
    expect(parseServerEnv({ ...base, PEREGRINE_CONSOLE_HOST: '0.0.0.0' }).consoleHost).toBe('0.0.0.0');
  });

  it('accepts trusted proxies as IPs and CIDR ranges and refuses anything else', () => {
    const env = parseServerEnv({ ...base, PEREGRINE_TRUSTED_PROXIES: '10.0.0.2, 172.16.0.0/12, fd00::/8' });
    expect(env.trustedProxies).toEqual(['10.0.0.2', '172.16.0.0/12', 'fd00::/8']);
    for (const bad of ['proxy.internal', '10.0.0.0/33', '10.0.0.0/8/1', '*']) {
      expect(() => parseServerEnv({ ...base, PEREGRINE_TRUSTED_PROXIES: bad })).toThrow(/TRUSTED_PROXIES/);
    }
  });
});

describe('organisation creation', () => {
  it('lets anyone signed in create organisations unless PEREGRINE_ORG_CREATION limits it to admins', () => {
    expect(parseServerEnv(base).orgCreation).toBe('anyone');
    expect(parseServerEnv({ ...base, PEREGRINE_ORG_CREATION: 'admins' }).orgCreation).toBe('admins');
    expect(() => parseServerEnv({ ...base, PEREGRINE_ORG_CREATION: 'everyone' })).toThrow(
      /PEREGRINE_ORG_CREATION must be "anyone" or "admins"/,
    );
  });
});
