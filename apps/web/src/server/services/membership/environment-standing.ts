import 'server-only';
import { environmentAccess, type Role } from '../../roles';
import { listEnvironments } from '../environment/list-environments';
import { loadMemberGrants } from './environment-access';

/** The caller's standing in each of the organisation's environments (grants applied). */
export async function listEnvironmentStanding(input: {
  organizationId: string;
  userId: string;
  role: Role;
}): Promise<{ environmentId: string; role: Role; promoter: boolean }[]> {
  const [environments, grants] = await Promise.all([
    listEnvironments(input.organizationId),
    input.role === 'admin' ? Promise.resolve([]) : loadMemberGrants(input),
  ]);
  return environments.map((environment) => ({
    environmentId: environment.id,
    ...environmentAccess(input.role, grants.find((g) => g.environmentId === environment.id) ?? null),
  }));
}
