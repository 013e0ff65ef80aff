import { orgProcedure } from '../../trpc';
import { getViewerOutput } from './get-viewer.schema';

/** Who is signed in, in which organisation, with which role. */
export const getViewer = orgProcedure('viewer')
  .output(getViewerOutput)
  .query(({ ctx }) => ({ user: ctx.viewer, organization: ctx.org, role: ctx.role }));
