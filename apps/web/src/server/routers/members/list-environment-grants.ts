import { listGrants } from '../../services/members/environment-grants';
import { orgActorProcedure } from '../../trpc';
import { listEnvironmentGrantsOutput } from './environment-grant.schema';

/** Admins see every member's per-environment roles and promoter grants. */
export const listEnvironmentGrants = orgActorProcedure('admin')
  .output(listEnvironmentGrantsOutput)
  .query(({ ctx }) => listGrants(ctx.org.id));
