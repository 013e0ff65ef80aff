import { randomUUID } from 'node:crypto';
import type { Db } from '../client.js';

export interface RateLimitDecision {
  allowed: boolean;
  /** Seconds until the window resets (0 when allowed). */
  retryAfterSeconds: number;
  /** Attempts counted in the window, this one included. */
  count: number;
}

/**
 * Counts one attempt against `key` in a fixed window and says whether it is within `max`.
 * One atomic upsert, so concurrent attempts cannot slip past the limit. Rows live in
 * better-auth's "rateLimit" table with `lastRequest` holding the window start; better-auth
 * prunes rows older than its longest configured window, so callers keep their window within it.
 */
export async function consumeRateLimit(
  db: Db,
  input: { key: string; windowSeconds: number; max: number; now?: number },
): Promise<RateLimitDecision> {
  const now = input.now ?? Date.now();
  const windowMs = input.windowSeconds * 1000;
  const expiredBefore = BigInt(now - windowMs);
  const rows = await db.prisma.$queryRaw<{ count: number; lastRequest: bigint }[]>`
    INSERT INTO "rateLimit" ("id", "key", "count", "lastRequest")
    VALUES (${randomUUID()}, ${input.key}, 1, ${BigInt(now)})
    ON CONFLICT ("key") DO UPDATE SET
      "count" = CASE WHEN "rateLimit"."lastRequest" <= ${expiredBefore} THEN 1 ELSE "rateLimit"."count" + 1 END,
      "lastRequest" = CASE WHEN "rateLimit"."lastRequest" <= ${expiredBefore} THEN ${BigInt(now)} ELSE "rateLimit"."lastRequest" END
    RETURNING "count", "lastRequest"`;
  const row = rows[0];
  if (!row) throw new Error('rate limit upsert returned no row');
  if (row.count <= input.max) return { allowed: true, retryAfterSeconds: 0, count: row.count };
  return {
    allowed: false,
    retryAfterSeconds: Math.max(1, Math.ceil((Number(row.lastRequest) + windowMs - now) / 1000)),
    count: row.count,
  };
}

/** Attempts counted against `key` in its current window (0 when none or the window has passed). */
export async function countRateLimit(
  db: Db,
  input: { key: string; windowSeconds: number; now?: number },
): Promise<{ count: number; resetInSeconds: number }> {
  const now = input.now ?? Date.now();
  const windowMs = input.windowSeconds * 1000;
  const row = await db.prisma.rateLimit.findUnique({
    where: { key: input.key },
    select: { count: true, lastRequest: true },
  });
  if (!row || Number(row.lastRequest) <= now - windowMs) return { count: 0, resetInSeconds: 0 };
  return {
    count: row.count,
    resetInSeconds: Math.max(1, Math.ceil((Number(row.lastRequest) + windowMs - now) / 1000)),
  };
}

/** Forgets the attempts counted against `key` (a successful sign-in clears its failures). */
export async function resetRateLimit(db: Db, key: string): Promise<void> {
  await db.prisma.rateLimit.deleteMany({ where: { key } });
}
