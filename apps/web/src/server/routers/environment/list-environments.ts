import { listEnvironments as listEnvironmentsService } from '../../services/environment/list-environments';
import { orgActorProcedure } from '../../trpc';
import { listEnvironmentsOutput } from './list-environments.schema';

/** The caller's organisation's environments (API keys too: automation needs their ids). */
export const listEnvironments = orgActorProcedure('viewer')
  .output(listEnvironmentsOutput)
  .query(({ ctx }) => listEnvironmentsService(ctx.org.id));
