import { listEnvironmentStanding } from '../../services/membership/environment-standing';
import { checkInstanceAdmin } from '../../services/membership/instance-admin';
import { orgProcedure } from '../../trpc';
import { getViewerOutput } from './get-viewer.schema';

/**
 * Who is signed in, in which organisation, with which role (and which in each environment), and
 * whether they are an instance admin.
 */
export const getViewer = orgProcedure('viewer')
  .output(getViewerOutput)
  .query(async ({ ctx }) => ({
    user: ctx.viewer,
    organization: ctx.org,
    role: ctx.role,
    instanceAdmin: await checkInstanceAdmin(ctx.viewer),
    environments: await listEnvironmentStanding({
      organizationId: ctx.org.id,
      userId: ctx.viewer.id,
      role: ctx.role,
    }),
  }));
