import 'server-only';
import { createHash } from 'node:crypto';
import { consumeRateLimit, countRateLimit, resetRateLimit } from '@peregrine/db';
import { db } from '../../db';
import { rateLimitSubject } from '../../client-address';

/**
 * Sign-in limits on top of better-auth's per-address limit on all attempts (auth.ts). Failures
 * are what is limited, so that nobody can lock an account they do not control:
 * - per account and address: a few failures since that address last signed in to the account
 *   (guessing one password from one place);
 * - per address, all accounts: password spraying from one place;
 * - per account, all addresses: a much higher limit, past which only addresses with no recent
 *   failure on the account may still try: a botnet loses its retries, while the owner signing in
 *   from their usual address, which has not failed, is never refused.
 * Windows stay within better-auth's longest configured window (auth.ts), which bounds its pruning
 * of the shared table.
 */
export const SIGN_IN_LIMITS = {
  pair: { window: 900, max: 5 },
  address: { window: 900, max: 20 },
  account: { window: 900, max: 50 },
} as const;

/** Hashed so the table holds no email addresses; normalised like better-auth stores them. */
function accountKey(email: string): string {
  return createHash('sha256').update(email.trim().toLowerCase()).digest('base64url');
}

function keys(email: string, address: string | null) {
  const account = accountKey(email);
  // No known address (a request that did not come through server.mjs): one shared subject.
  const subject = address ? rateLimitSubject(address) : 'unknown';
  return {
    pair: `signin-pair:${account}|${subject}`,
    address: `signin-fail-address:${subject}`,
    account: `signin-fail-account:${account}`,
  };
}

export type SignInDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Counts a sign-in attempt on `email` from `address` and says whether it may be tried. */
export async function checkSignInAttempt(email: string, address: string | null): Promise<SignInDecision> {
  const key = keys(email, address);
  const now = Date.now();
  // Atomic per attempt, so parallel guesses from one address cannot run past the limit; cleared
  // when the address signs in, so it counts failures since the last success.
  const pair = await consumeRateLimit(db(), {
    key: key.pair,
    windowSeconds: SIGN_IN_LIMITS.pair.window,
    max: SIGN_IN_LIMITS.pair.max,
    now,
  });
  if (!pair.allowed) return { allowed: false, retryAfterSeconds: pair.retryAfterSeconds };
  const addressFailures = await countRateLimit(db(), {
    key: key.address,
    windowSeconds: SIGN_IN_LIMITS.address.window,
    now,
  });
  if (addressFailures.count >= SIGN_IN_LIMITS.address.max) {
    return { allowed: false, retryAfterSeconds: addressFailures.resetInSeconds };
  }
  // An address with no failure on this account since it last signed in is always let through.
  if (pair.count > 1) {
    const accountFailures = await countRateLimit(db(), {
      key: key.account,
      windowSeconds: SIGN_IN_LIMITS.account.window,
      now,
    });
    if (accountFailures.count >= SIGN_IN_LIMITS.account.max) {
      return { allowed: false, retryAfterSeconds: accountFailures.resetInSeconds };
    }
  }
  return { allowed: true };
}

/** Records how a sign-in attempt ended: a failure counts against the address and the account. */
export async function recordSignInOutcome(
  email: string,
  address: string | null,
  outcome: 'succeeded' | 'failed' | 'other',
): Promise<void> {
  const key = keys(email, address);
  if (outcome === 'succeeded') {
    await resetRateLimit(db(), key.pair);
    return;
  }
  if (outcome !== 'failed') return;
  for (const [counter, limit] of [
    [key.address, SIGN_IN_LIMITS.address],
    [key.account, SIGN_IN_LIMITS.account],
  ] as const) {
    // Counting only: the decision is made at the next attempt (checkSignInAttempt).
    await consumeRateLimit(db(), { key: counter, windowSeconds: limit.window, max: Number.MAX_SAFE_INTEGER });
  }
}
