import 'server-only';
import { listMemberships } from '@peregrine/db';
import { db } from '../../db';
import type { Role } from '../../roles';

export interface OrganizationChoice {
  id: string;
  name: string;
  slug: string;
  role: Role;
}

/** Every organisation the user belongs to, oldest membership first (the default one). */
export async function listOrganizations(userId: string): Promise<OrganizationChoice[]> {
  const memberships = await listMemberships(db(), userId);
  return memberships.map((m) => ({
    id: m.organizationId,
    name: m.organizationName,
    slug: m.organizationSlug,
    role: m.role,
  }));
}
