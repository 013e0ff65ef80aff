import 'server-only';
import { createHash, randomBytes } from 'node:crypto';

/** How long an invitation link works. */
export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** A fresh one-time invitation token (256 random bits) and the SHA-256 that is stored. */
export function generateInvitationToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashInvitationToken(token) };
}

/** SHA-256 hex of an invitation token: the database never holds the token itself. */
export function hashInvitationToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
