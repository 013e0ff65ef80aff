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

describe('behind a gateway', () => {
  it('serves under PEREGRINE_BASE_PATH, with BETTER_AUTH_URL as the origin or the same path', () => {
    const env = parseServerEnv({
      ...base,
      PEREGRINE_BASE_PATH: '/peregrine/',
      BETTER_AUTH_URL: 'https://gw.example.com',
    });
    expect(env).toMatchObject({
      basePath: '/peregrine',
      baseUrl: 'https://gw.example.com/peregrine',
      publicOrigin: 'https://gw.example.com',
      trustedOrigins: ['https://gw.example.com'],
    });
    const same = parseServerEnv({
      ...base,
      PEREGRINE_BASE_PATH: '/peregrine',
      BETTER_AUTH_URL: 'https://gw.example.com/peregrine/',
    });
    expect(same.baseUrl).toBe('https://gw.example.com/peregrine');
    expect(() =>
      parseServerEnv({
        ...base,
        PEREGRINE_BASE_PATH: '/peregrine',
        BETTER_AUTH_URL: 'https://gw.example.com/other',
      }),
    ).toThrow(/is not PEREGRINE_BASE_PATH/);
    for (const bad of ['peregrine', '/a b', '/../x', '/x?y']) {
      expect(() => parseServerEnv({ ...base, PEREGRINE_BASE_PATH: bad }), bad).toThrow(
        /PEREGRINE_BASE_PATH must be/,
      );
    }
    expect(parseServerEnv({ ...base, PEREGRINE_BASE_PATH: '/' }).basePath).toBe('');
  });

  it('reads trusted-header sign-in settings only when the proxy addresses are set', () => {
    expect(parseServerEnv(base).authProxy).toBeNull();
    const env = parseServerEnv({
      ...base,
      PEREGRINE_AUTH_PROXY_ADDRESSES: '10.0.0.5, fd00::/8',
      PEREGRINE_AUTH_PROXY_ORGANIZATION: 'acme',
      PEREGRINE_AUTH_PROXY_ROLES: 'sec-admins=admin, everyone=viewer',
    });
    expect(env.authProxy).toEqual({
      addresses: ['10.0.0.5', 'fd00::/8'],
      emailHeader: 'x-forwarded-email',
      nameHeader: 'x-forwarded-preferred-username',
      groupsHeader: 'x-forwarded-groups',
      organization: 'acme',
      roleMappings: [
        { group: 'sec-admins', role: 'admin' },
        { group: 'everyone', role: 'viewer' },
      ],
      defaultRole: 'viewer',
    });
    expect(() => parseServerEnv({ ...base, PEREGRINE_AUTH_PROXY_ADDRESSES: 'proxy.internal' })).toThrow(
      /PEREGRINE_AUTH_PROXY_ADDRESSES/,
    );
    expect(() =>
      parseServerEnv({
        ...base,
        PEREGRINE_AUTH_PROXY_ADDRESSES: '10.0.0.5',
        PEREGRINE_AUTH_PROXY_ROLES: 'ops=root',
      }),
    ).toThrow(/PEREGRINE_AUTH_PROXY_ROLES/);
  });
});
