import type { Db } from '../client.js';
import type { Role } from '../generated/prisma/enums.js';

export interface OrganizationMember {
  userId: string;
  name: string;
  email: string;
  role: Role;
  joinedAt: Date;
}

/** Members of one organisation, most privileged role first, then by name. */
export async function listOrganizationMembers(db: Db, organizationId: string): Promise<OrganizationMember[]> {
  const rows = await db.prisma.membership.findMany({
    where: { organizationId },
    orderBy: [{ role: 'asc' }, { user: { name: 'asc' } }],
    select: { role: true, createdAt: true, user: { select: { id: true, name: true, email: true } } },
  });
  return rows.map((row) => ({
    userId: row.user.id,
    name: row.user.name,
    email: row.user.email,
    role: row.role,
    joinedAt: row.createdAt,
  }));
}
