import type { Db } from '../client.js';

/**
 * Deletes a user who belongs to no organisation, e.g. the account first-run setup created just
 * before losing the race to another admin. Refuses (returns false) once the user is a member,
 * so it can never remove a working account.
 */
export async function deleteUserWithoutMemberships(db: Db, userId: string): Promise<boolean> {
  const { count } = await db.prisma.user.deleteMany({ where: { id: userId, memberships: { none: {} } } });
  return count === 1;
}
