/**
 * Short-lived tokens the console issues so a browser can open the collector's socket.io stream.
 * Format: `base64url(JSON claims) "." base64url(HMAC-SHA256(secret, first part))`.
 * WebCrypto only (platform.crypto.subtle): runs in Node, edge runtimes and browsers.
 */

import { signClaims, verifyClaims } from './hmac-token.js';

/** What a realtime token grants: the user's organisation and the environments it may watch. */
export interface RealtimeClaims {
  userId: string;
  organizationId: string;
  environmentIds: string[];
  /** Expiry, seconds since the epoch. */
  exp: number;
  /**
   * The API key that asked for the token (automation): the collector refuses the token once that
   * key is revoked, and disconnects its streams when the revocation arrives.
   */
  apiKeyId?: string;
}

/** Why a token was refused. */
export type RealtimeTokenErrorCode = 'MALFORMED' | 'BAD_SIGNATURE' | 'EXPIRED';

/** A refused token, with a stable code. */
export class RealtimeTokenError extends Error {
  constructor(
    readonly code: RealtimeTokenErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RealtimeTokenError';
  }
}

/** Default lifetime of a token the console issues (seconds). */
export const REALTIME_TOKEN_TTL_SECONDS = 300;

function isClaims(v: unknown): v is RealtimeClaims {
  if (typeof v !== 'object' || v === null) return false;
  const c = v as Record<string, unknown>;
  return (
    typeof c.userId === 'string' &&
    typeof c.organizationId === 'string' &&
    Array.isArray(c.environmentIds) &&
    c.environmentIds.every((e) => typeof e === 'string') &&
    typeof c.exp === 'number' &&
    Number.isFinite(c.exp) &&
    (c.apiKeyId === undefined || typeof c.apiKeyId === 'string')
  );
}

/** Signs claims into a token. */
export async function signRealtimeToken(claims: RealtimeClaims, secret: string): Promise<string> {
  return signClaims(
    '',
    {
      userId: claims.userId,
      organizationId: claims.organizationId,
      environmentIds: claims.environmentIds,
      exp: Math.floor(claims.exp),
      ...(claims.apiKeyId !== undefined ? { apiKeyId: claims.apiKeyId } : {}),
    },
    secret,
  );
}

/**
 * Verifies a token's signature (constant time, by WebCrypto) and expiry; returns its claims.
 * Throws `RealtimeTokenError` for anything else.
 */
export async function verifyRealtimeToken(
  token: string,
  secret: string,
  nowSeconds: number = Date.now() / 1000,
): Promise<RealtimeClaims> {
  const claims = await verifyClaims(
    '',
    token,
    secret,
    (code, message) => new RealtimeTokenError(code, message),
  );
  if (!isClaims(claims)) throw new RealtimeTokenError('MALFORMED', 'token claims have the wrong shape');
  if (claims.exp <= nowSeconds) throw new RealtimeTokenError('EXPIRED', 'token has expired');
  return claims;
}
