import { listOrganizations as listOrganizationsService } from '../../services/membership/list-organizations';
import { authedProcedure } from '../../trpc';
import { listOrganizationsOutput } from './list-organizations.schema';

/** The organisations the caller can switch between (their own memberships only). */
export const listOrganizations = authedProcedure
  .output(listOrganizationsOutput)
  .query(({ ctx }) => listOrganizationsService(ctx.viewer.id));
