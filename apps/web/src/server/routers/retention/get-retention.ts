import { getRetention as getRetentionService } from '../../services/retention/get-retention';
import { orgActorProcedure } from '../../trpc';
import { getRetentionOutput } from './get-retention.schema';

/** How long the organisation keeps alerts, its size limit and quota, and what it stores now. */
export const getRetention = orgActorProcedure('viewer')
  .output(getRetentionOutput)
  .query(({ ctx }) => getRetentionService({ organizationId: ctx.org.id }));
