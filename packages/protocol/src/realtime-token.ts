/**
 * Short-lived tokens the console issues so a browser can open the collector's socket.io stream.
 * Format: `base64url(JSON claims) "." base64url(HMAC-SHA256(secret, first part))`.
 * WebCrypto only (platform.crypto.subtle): runs in Node, edge runtimes and browsers.
 */

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

/**
 * The WebCrypto and encoding globals this module uses. Declared here because the package builds
 * without DOM or Node typings (it runs in both); every runtime we target provides them.
 */
interface HmacKey {
  readonly type: string;
}
interface Platform {
  crypto: {
    subtle: {
      importKey(
        format: 'raw',
        key: Uint8Array,
        algorithm: { name: 'HMAC'; hash: 'SHA-256' },
        extractable: boolean,
        usages: string[],
      ): Promise<HmacKey>;
      sign(algorithm: 'HMAC', key: HmacKey, data: Uint8Array): Promise<ArrayBuffer>;
      verify(algorithm: 'HMAC', key: HmacKey, signature: Uint8Array, data: Uint8Array): Promise<boolean>;
    };
  };
  btoa(data: string): string;
  atob(data: string): string;
  TextEncoder: new () => { encode(text: string): Uint8Array };
  TextDecoder: new () => { decode(bytes: Uint8Array): string };
}
const platform = globalThis as unknown as Platform;
const { btoa, atob } = platform;
const encoder = new platform.TextEncoder();
const decoder = new platform.TextDecoder();

function toBase64Url(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new RealtimeTokenError('MALFORMED', 'token is not base64url');
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  let bin: string;
  try {
    bin = atob(b64);
  } catch {
    throw new RealtimeTokenError('MALFORMED', 'token is not base64url');
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

async function hmacKey(secret: string): Promise<HmacKey> {
  if (secret.length < 16) throw new Error('realtime token secret must be at least 16 characters');
  return platform.crypto.subtle.importKey(
    'raw',
    encoder.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign', 'verify'],
  );
}

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
  const body = toBase64Url(
    encoder.encode(
      JSON.stringify({
        userId: claims.userId,
        organizationId: claims.organizationId,
        environmentIds: claims.environmentIds,
        exp: Math.floor(claims.exp),
        ...(claims.apiKeyId !== undefined ? { apiKeyId: claims.apiKeyId } : {}),
      }),
    ),
  );
  const sig = await platform.crypto.subtle.sign('HMAC', await hmacKey(secret), encoder.encode(body));
  return `${body}.${toBase64Url(new Uint8Array(sig))}`;
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
  if (typeof token !== 'string' || token.length > 8192)
    throw new RealtimeTokenError('MALFORMED', 'token missing');
  const dot = token.indexOf('.');
  if (dot <= 0 || dot !== token.lastIndexOf('.')) {
    throw new RealtimeTokenError('MALFORMED', 'token must have two parts');
  }
  const body = token.slice(0, dot);
  const sig = fromBase64Url(token.slice(dot + 1));
  const ok = await platform.crypto.subtle.verify('HMAC', await hmacKey(secret), sig, encoder.encode(body));
  if (!ok) throw new RealtimeTokenError('BAD_SIGNATURE', 'token signature does not match');
  let claims: unknown;
  try {
    claims = JSON.parse(decoder.decode(fromBase64Url(body)));
  } catch {
    throw new RealtimeTokenError('MALFORMED', 'token claims are not JSON');
  }
  if (!isClaims(claims)) throw new RealtimeTokenError('MALFORMED', 'token claims have the wrong shape');
  if (claims.exp <= nowSeconds) throw new RealtimeTokenError('EXPIRED', 'token has expired');
  return claims;
}
