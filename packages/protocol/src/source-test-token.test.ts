import { describe, expect, it } from 'vitest';
import { signRealtimeToken, verifyRealtimeToken } from './realtime-token.js';
import {
  SourceTestTokenError,
  signSourceTestToken,
  sourceTestEventPath,
  verifySourceTestToken,
} from './source-test-token.js';

const SECRET = 'a-test-secret-of-enough-length';
const claims = {
  target: 'source' as const,
  sourceId: 's1',
  organizationId: 'o1',
  subject: 'u1',
  nonce: '0123456789abcdef0123',
  exp: 2_000_000_000,
};

async function code(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
}

describe('source test tokens', () => {
  it('round-trip their claims', async () => {
    const token = await signSourceTestToken(claims, SECRET);
    expect(await verifySourceTestToken(token, SECRET, 1_000)).toEqual(claims);
  });

  it('refuse another secret, tampered claims and expired tokens', async () => {
    const token = await signSourceTestToken(claims, SECRET);
    expect(await code(verifySourceTestToken(token, 'another-secret-of-enough-length', 1_000))).toBe(
      'BAD_SIGNATURE',
    );
    const [, sig] = token.split('.');
    const forged = `${Buffer.from(JSON.stringify({ ...claims, sourceId: 's2' })).toString('base64url')}.${sig}`;
    expect(await code(verifySourceTestToken(forged, SECRET, 1_000))).toBe('BAD_SIGNATURE');
    expect(await code(verifySourceTestToken(token, SECRET, 2_000_000_001))).toBe('EXPIRED');
    await expect(verifySourceTestToken('x', SECRET)).rejects.toBeInstanceOf(SourceTestTokenError);
  });

  it('name their target: a sensor path and a source path', () => {
    expect(sourceTestEventPath('s1')).toBe('/v1/sources/s1/test-event');
    expect(sourceTestEventPath('s1', 'sensor')).toBe('/v1/sensors/s1/test-event');
  });

  it('never verify as a realtime token, nor a realtime token as one', async () => {
    const realtime = await signRealtimeToken(
      { userId: 'u1', organizationId: 'o1', environmentIds: ['e1'], exp: 2_000_000_000 },
      SECRET,
    );
    expect(await code(verifySourceTestToken(realtime, SECRET, 1_000))).toBe('BAD_SIGNATURE');
    // Even with claims that would pass either shape check.
    const both = { ...claims, userId: 'u1', environmentIds: ['e1'] };
    const test = await signSourceTestToken(both, SECRET);
    expect(await code(verifyRealtimeToken(test, SECRET, 1_000))).toBe('BAD_SIGNATURE');
  });
});
