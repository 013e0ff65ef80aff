import { describe, expect, it } from 'vitest';
import { provisionTestDatabase } from '../../../../test/database';

const databaseUrl = await provisionTestDatabase();
const { consumeRateLimit, getDb } = await import('@peregrine/db');

describe('consumeRateLimit', () => {
  const db = getDb(databaseUrl);

  it('allows max attempts per window, then refuses with the time left', async () => {
    const key = 'test:fixed-window';
    const start = 1_800_000_000_000;
    for (let i = 0; i < 3; i++) {
      expect(await consumeRateLimit(db, { key, windowSeconds: 60, max: 3, now: start + i * 1000 })).toEqual({
        allowed: true,
        retryAfterSeconds: 0,
        count: i + 1,
      });
    }
    expect(await consumeRateLimit(db, { key, windowSeconds: 60, max: 3, now: start + 10_000 })).toEqual({
      allowed: false,
      retryAfterSeconds: 50,
      count: 4,
    });
    // A new window starts once the old one has passed.
    expect(
      (await consumeRateLimit(db, { key, windowSeconds: 60, max: 3, now: start + 60_000 })).allowed,
    ).toBe(true);
  });

  it('never lets concurrent attempts exceed the limit', async () => {
    const key = 'test:concurrent';
    const now = 1_800_000_000_000;
    const decisions = await Promise.all(
      Array.from({ length: 20 }, () => consumeRateLimit(db, { key, windowSeconds: 60, max: 5, now })),
    );
    expect(decisions.filter((d) => d.allowed)).toHaveLength(5);
  });

  it('keeps keys independent', async () => {
    const now = 1_800_000_000_000;
    await consumeRateLimit(db, { key: 'test:a', windowSeconds: 60, max: 1, now });
    expect((await consumeRateLimit(db, { key: 'test:b', windowSeconds: 60, max: 1, now })).allowed).toBe(
      true,
    );
  });
});
