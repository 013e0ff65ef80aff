/**
 * Short-lived tokens the console issues when someone asks for a test event of one source of
 * events: the collector's `POST /v1/sources/:id/test-event` (a cloud source) or
 * `POST /v1/sensors/:id/test-event` (a sensor) takes one in place of the source's or sensor's own
 * credential (stored hashed or encrypted, so the console cannot present it). A token names one
 * cloud source or sensor of one organisation, lives a minute and is spent by its first use.
 * Signed like realtime tokens (hmac-token.ts) but for their own purpose: neither kind verifies as
 * the other.
 */

import { signClaims, verifyClaims } from './hmac-token.js';

/** What a test event is for: a cloud source, or a sensor (the `syscall` source of one host). */
export type TestEventTarget = 'source' | 'sensor';

/** What a source test token grants: one test event for one cloud source or sensor. */
export interface SourceTestClaims {
  target: TestEventTarget;
  /** The cloud source's or sensor's id (`target` says which). */
  sourceId: string;
  organizationId: string;
  /** Who asked (a user id, or `api_key:<id>`), for the collector's log. */
  subject: string;
  /** Random: the collector refuses a token it has already spent. */
  nonce: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

/** Why a test token was refused. */
export type SourceTestTokenErrorCode = 'MALFORMED' | 'BAD_SIGNATURE' | 'EXPIRED';

/** A refused test token, with a stable code. */
export class SourceTestTokenError extends Error {
  constructor(
    readonly code: SourceTestTokenErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SourceTestTokenError';
  }
}

/** Lifetime of a test token (seconds): the console uses it at once. */
export const SOURCE_TEST_TOKEN_TTL_SECONDS = 60;

const PURPOSE = 'peregrine.source-test-event:';

/** The path of a cloud source's (or a sensor's) test-event endpoint on the collector. */
export function sourceTestEventPath(sourceId: string, target: TestEventTarget = 'source'): string {
  return `/v1/${target === 'sensor' ? 'sensors' : 'sources'}/${encodeURIComponent(sourceId)}/test-event`;
}

function isClaims(v: unknown): v is SourceTestClaims {
  if (typeof v !== 'object' || v === null) return false;
  const c = v as Record<string, unknown>;
  return (
    (c.target === 'source' || c.target === 'sensor') &&
    typeof c.sourceId === 'string' &&
    typeof c.organizationId === 'string' &&
    typeof c.subject === 'string' &&
    typeof c.nonce === 'string' &&
    c.nonce.length >= 16 &&
    typeof c.exp === 'number' &&
    Number.isFinite(c.exp)
  );
}

/** Signs test-token claims. */
export function signSourceTestToken(claims: SourceTestClaims, secret: string): Promise<string> {
  return signClaims(
    PURPOSE,
    {
      target: claims.target,
      sourceId: claims.sourceId,
      organizationId: claims.organizationId,
      subject: claims.subject,
      nonce: claims.nonce,
      exp: Math.floor(claims.exp),
    },
    secret,
  );
}

/** Verifies a test token's signature and expiry; throws `SourceTestTokenError` otherwise. */
export async function verifySourceTestToken(
  token: string,
  secret: string,
  nowSeconds: number = Date.now() / 1000,
): Promise<SourceTestClaims> {
  const claims = await verifyClaims(
    PURPOSE,
    token,
    secret,
    (code, message) => new SourceTestTokenError(code, message),
  );
  if (!isClaims(claims)) throw new SourceTestTokenError('MALFORMED', 'token claims have the wrong shape');
  if (claims.exp <= nowSeconds) throw new SourceTestTokenError('EXPIRED', 'token has expired');
  return claims;
}
