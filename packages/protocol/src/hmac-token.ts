/**
 * The signing shared by the console's short-lived tokens (realtime-token.ts, source-test-token.ts):
 * `base64url(JSON claims) "." base64url(HMAC-SHA256(secret, purpose + first part))`. The purpose
 * is part of what is signed, so a token issued for one use never verifies for another.
 * WebCrypto only (platform.crypto.subtle): runs in Node, edge runtimes and browsers.
 */

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

function fromBase64Url(text: string, fail: (code: TokenFault, message: string) => Error): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw fail('MALFORMED', 'token is not base64url');
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  let bin: string;
  try {
    bin = atob(b64);
  } catch {
    throw fail('MALFORMED', 'token is not base64url');
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

async function hmacKey(secret: string): Promise<HmacKey> {
  if (secret.length < 16) throw new Error('token secret must be at least 16 characters');
  return platform.crypto.subtle.importKey(
    'raw',
    encoder.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign', 'verify'],
  );
}

/** Why a token's signature or encoding was refused. */
export type TokenFault = 'MALFORMED' | 'BAD_SIGNATURE';

/** Signs `claims` for `purpose` (the realtime token's purpose is '', as it always was). */
export async function signClaims(purpose: string, claims: object, secret: string): Promise<string> {
  const body = toBase64Url(encoder.encode(JSON.stringify(claims)));
  const sig = await platform.crypto.subtle.sign(
    'HMAC',
    await hmacKey(secret),
    encoder.encode(purpose + body),
  );
  return `${body}.${toBase64Url(new Uint8Array(sig))}`;
}

/**
 * The claims of a token signed for `purpose` with `secret` (signature checked in constant time by
 * WebCrypto), not yet checked for shape or expiry; `fail` makes the caller's error for a fault.
 */
export async function verifyClaims(
  purpose: string,
  token: string,
  secret: string,
  fail: (code: TokenFault, message: string) => Error,
): Promise<unknown> {
  if (typeof token !== 'string' || token.length > 8192) throw fail('MALFORMED', 'token missing');
  const dot = token.indexOf('.');
  if (dot <= 0 || dot !== token.lastIndexOf('.')) throw fail('MALFORMED', 'token must have two parts');
  const body = token.slice(0, dot);
  const sig = fromBase64Url(token.slice(dot + 1), fail);
  const ok = await platform.crypto.subtle.verify(
    'HMAC',
    await hmacKey(secret),
    sig,
    encoder.encode(purpose + body),
  );
  if (!ok) throw fail('BAD_SIGNATURE', 'token signature does not match');
  try {
    return JSON.parse(decoder.decode(fromBase64Url(body, fail)));
  } catch {
    throw fail('MALFORMED', 'token claims are not JSON');
  }
}
