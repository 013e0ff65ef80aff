import { describe, expect, it } from 'vitest';
import { RealtimeTokenError, signRealtimeToken, verifyRealtimeToken } from './realtime-token.js';

const SECRET = 'a-test-secret-of-enough-length';
const claims = { userId: 'u1', organizationId: 'o1', environmentIds: ['e1', 'e2'], exp: 2_000_000_000 };

async function code(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(RealtimeTokenError);
    return (err as RealtimeTokenError).code;
  }
}

describe('realtime tokens', () => {
  it('round-trips claims', async () => {
    const token = await signRealtimeToken(claims, SECRET);
    expect(token).toMatch(/^[\w-]+\.[\w-]+$/);
    expect(await verifyRealtimeToken(token, SECRET, 1_000)).toEqual(claims);
  });

  it('carries the issuing API key, so the collector can refuse a revoked key’s tokens', async () => {
    const token = await signRealtimeToken({ ...claims, apiKeyId: 'k1' }, SECRET);
    expect(await verifyRealtimeToken(token, SECRET, 1_000)).toEqual({ ...claims, apiKeyId: 'k1' });
  });

  it('refuses another secret, tampered claims and expired tokens', async () => {
    const token = await signRealtimeToken(claims, SECRET);
    expect(await code(verifyRealtimeToken(token, 'another-secret-of-enough-length', 1_000))).toBe(
      'BAD_SIGNATURE',
    );
    const [body, sig] = token.split('.') as [string, string];
    const forged = btoa(JSON.stringify({ ...claims, organizationId: 'o2' }))
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '');
    expect(await code(verifyRealtimeToken(`${forged}.${sig}`, SECRET, 1_000))).toBe('BAD_SIGNATURE');
    expect(await code(verifyRealtimeToken(`${body}.${sig}`, SECRET, 2_000_000_000))).toBe('EXPIRED');
  });

  it('refuses malformed tokens', async () => {
    expect(await code(verifyRealtimeToken('', SECRET))).toBe('MALFORMED');
    expect(await code(verifyRealtimeToken('abc', SECRET))).toBe('MALFORMED');
    expect(await code(verifyRealtimeToken('a.b.c', SECRET))).toBe('MALFORMED');
    expect(await code(verifyRealtimeToken('a!.bbbb', SECRET))).toBe('BAD_SIGNATURE');
    expect(await code(verifyRealtimeToken('abc.d$f', SECRET))).toBe('MALFORMED');
  });
});
