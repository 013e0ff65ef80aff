import 'server-only';
import { type ApiKeyPrincipal, authenticateApiKey as authenticateApiKeyRow } from '@peregrine/db';
import { db } from '../../db';

export type { ApiKeyPrincipal };

/**
 * The key in `Authorization: Bearer <key>`, or null when the header is absent or another scheme.
 * An empty or malformed bearer value is returned as '' so it fails authentication rather than
 * silently falling back to the session cookie.
 */
export function readBearerToken(headers: Headers): string | null {
  const header = headers.get('authorization');
  if (header === null) return null;
  const match = /^Bearer(?:\s+(\S*))?\s*$/i.exec(header.trim());
  return match ? (match[1] ?? '') : null;
}

/** Resolves an API key to its organisation and role; null for unknown, expired or revoked keys. */
export async function authenticateApiKey(key: string): Promise<ApiKeyPrincipal | null> {
  if (key === '') return null;
  return authenticateApiKeyRow(db(), key);
}
