import { createHash, randomBytes } from 'node:crypto';
import type { Db, Prisma } from '../client.js';

/** How long a printed setup token opens first-run setup. */
export const SETUP_TOKEN_TTL_MS = 24 * 60 * 60 * 1000;

/** SHA-256 hex of a setup token: the only form in which tokens are stored. */
export function hashSetupToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Issues a one-time setup token while no admin exists (null once one does): the clear token is
 * returned to be printed once, only its hash is stored. Each call adds a token (every console
 * process or start may print its own), and expired ones are pruned.
 */
export async function issueSetupToken(
  db: Db,
  options: { now?: Date; ttlMs?: number } = {},
): Promise<{ token: string; expiresAt: Date } | null> {
  const now = options.now ?? new Date();
  const admin = await db.prisma.membership.findFirst({ where: { role: 'admin' }, select: { id: true } });
  if (admin) return null;
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + (options.ttlMs ?? SETUP_TOKEN_TTL_MS));
  await db.prisma.$transaction([
    db.prisma.setupToken.deleteMany({ where: { expiresAt: { lte: now } } }),
    db.prisma.setupToken.create({ data: { tokenHash: hashSetupToken(token), expiresAt } }),
  ]);
  return { token, expiresAt };
}

/** Whether `token` is an unexpired setup token (checked again when setup completes). */
export async function checkSetupToken(db: Db, token: string, now: Date = new Date()): Promise<boolean> {
  return isSetupTokenValid(db.prisma, token, now);
}

/** checkSetupToken inside a transaction (completeFirstRunSetup). */
export async function isSetupTokenValid(
  tx: Pick<Prisma, 'setupToken'>,
  token: string,
  now: Date = new Date(),
): Promise<boolean> {
  if (!token) return false;
  // Looked up by hash: the stored value is useless to whoever reads the table.
  const row = await tx.setupToken.findUnique({
    where: { tokenHash: hashSetupToken(token) },
    select: { expiresAt: true },
  });
  return row !== null && row.expiresAt > now;
}

/**
 * Deletes a user who belongs to no organisation, e.g. the account first-run setup created just
 * before losing the race to another admin. Refuses (returns false) once the user is a member,
 * so it can never remove a working account.
 */
export async function deleteUserWithoutMemberships(db: Db, userId: string): Promise<boolean> {
  const { count } = await db.prisma.user.deleteMany({ where: { id: userId, memberships: { none: {} } } });
  return count === 1;
}
