import 'server-only';
import { createHash } from 'node:crypto';
import { consumeRateLimit, type RateLimitDecision } from '@peregrine/db';
import { db } from '../../db';

/**
 * Sign-in attempts allowed per account and window, whatever address they come from. The per-IP
 * limit alone can be dodged: without a proxy in front, X-Forwarded-For is whatever the client
 * sends. Within better-auth's longest configured window (see auth.ts) so rows are not pruned early.
 */
export const ACCOUNT_SIGN_IN_LIMIT = { window: 900, max: 10 } as const;

/** Counts one sign-in attempt for `email` and says whether it may proceed. */
export async function limitSignInForAccount(email: string): Promise<RateLimitDecision> {
  // Hashed so the table holds no email addresses; normalised like better-auth stores them.
  const digest = createHash('sha256').update(email.trim().toLowerCase()).digest('base64url');
  return consumeRateLimit(db(), {
    key: `account:${digest}|/sign-in/email`,
    windowSeconds: ACCOUNT_SIGN_IN_LIMIT.window,
    max: ACCOUNT_SIGN_IN_LIMIT.max,
  });
}
