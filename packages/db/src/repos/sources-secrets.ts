import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { DbError } from '../errors.js';

/**
 * Cloud-source credentials.
 *
 * - Push sources (Kubernetes audit webhook, Falco http_output) authenticate with an ingest token:
 *   only its SHA-256 is stored (`tokenHash`), plus a short prefix to recognise it in lists.
 * - Secrets the collector needs in clear (GitHub HMAC secret, Okta API token, AWS keys) are
 *   stored AES-256-GCM encrypted under PEREGRINE_SECRET_KEY (`secretsEncrypted`).
 */

/** Marks the blob layout so the format can change without guessing: v1 = iv(12) tag(16) ct. */
const FORMAT_V1 = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Token text prefix: lets secret scanners and humans recognise a leaked Peregrine token. */
export const SOURCE_TOKEN_PREFIX = 'pgs_';

/** Source secrets in clear: a flat map of named strings (`webhookSecret`, `apiToken`, ...). */
export type SourceSecrets = Record<string, string>;

/** PEREGRINE_SECRET_KEY (base64 of 32 bytes) -> key bytes; throws a readable error otherwise. */
export function parseSecretKey(base64: string): Buffer {
  const key = Buffer.from(base64.trim(), 'base64');
  if (key.length !== 32) {
    throw new DbError('INVALID', `PEREGRINE_SECRET_KEY must be 32 bytes in base64 (got ${key.length} bytes)`);
  }
  return key;
}

/** Encrypts a source's secrets for `cloud_sources.secretsEncrypted`. */
export function encryptSourceSecrets(key: Buffer, secrets: SourceSecrets): Uint8Array<ArrayBuffer> {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ct = Buffer.concat([cipher.update(JSON.stringify(secrets), 'utf8'), cipher.final()]);
  const out = new Uint8Array(1 + IV_BYTES + TAG_BYTES + ct.length);
  out[0] = FORMAT_V1;
  out.set(iv, 1);
  out.set(cipher.getAuthTag(), 1 + IV_BYTES);
  out.set(ct, 1 + IV_BYTES + TAG_BYTES);
  return out;
}

/** Decrypts `secretsEncrypted`; a wrong key or a tampered blob is an INVALID error, never garbage. */
export function decryptSourceSecrets(key: Buffer, blob: Uint8Array): SourceSecrets {
  if (blob.length < 1 + IV_BYTES + TAG_BYTES || blob[0] !== FORMAT_V1) {
    throw new DbError('INVALID', 'source secrets: unknown format');
  }
  const iv = blob.subarray(1, 1 + IV_BYTES);
  const tag = blob.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
  const ct = blob.subarray(1 + IV_BYTES + TAG_BYTES);
  let text: string;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAuthTag(tag);
    text = Buffer.concat([decipher.update(ct), decipher.final()]).toString('utf8');
  } catch {
    throw new DbError('INVALID', 'source secrets: cannot decrypt (wrong PEREGRINE_SECRET_KEY?)');
  }
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new DbError('INVALID', 'source secrets: not an object');
  }
  const out: SourceSecrets = {};
  for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** SHA-256 hex of an ingest token, as stored in `tokenHash`. */
/**
 * Applies set (`[name, value]`) and clear (`[name, null]`) changes to the encrypted secrets `blob`
 * and returns the new blob (null when no secret is left). `what` names them in the errors.
 */
export function mergeSecrets(
  key: Buffer | null | undefined,
  blob: Uint8Array | null,
  changes: [name: string, value: string | null][],
  what: string,
): Uint8Array<ArrayBuffer> | null {
  if (!key) throw new DbError('INVALID', `PEREGRINE_SECRET_KEY is not set: ${what} cannot be stored`);
  let stored: SourceSecrets = {};
  if (blob && blob.length > 0) {
    try {
      stored = decryptSourceSecrets(key, new Uint8Array(blob));
    } catch {
      throw new DbError('INVALID', 'the stored secrets cannot be decrypted with this PEREGRINE_SECRET_KEY');
    }
  }
  for (const [name, value] of changes) {
    if (value === null) delete stored[name];
    else stored[name] = value;
  }
  return Object.keys(stored).length > 0 ? encryptSourceSecrets(key, stored) : null;
}

export function hashSourceToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A new ingest token: shown once to the user; only `hash` and `prefix` are stored. */
export function generateSourceToken(): { token: string; prefix: string; hash: string } {
  const token = `${SOURCE_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { token, prefix: token.slice(0, SOURCE_TOKEN_PREFIX.length + 6), hash: hashSourceToken(token) };
}
