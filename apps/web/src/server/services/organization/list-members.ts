import 'server-only';
import { listOrganizationMembers } from '@peregrine/db';
import { db } from '../../db';
import type { Role } from '../../roles';

export interface MemberItem {
  userId: string;
  name: string;
  email: string;
  role: Role;
  joinedAt: string;
}

/** The organisation's members, admins first. */
export async function listMembers(organizationId: string): Promise<MemberItem[]> {
  const rows = await listOrganizationMembers(db(), organizationId);
  return rows.map((row) => ({ ...row, joinedAt: row.joinedAt.toISOString() }));
}
