import { setRetention as setRetentionService } from '../../services/retention/set-retention';
import { orgActorProcedure } from '../../trpc';
import { setRetentionInput, setRetentionOutput } from './set-retention.schema';

/** Admins replace the organisation's retention rules and size limit (audited). */
export const setRetention = orgActorProcedure('admin')
  .input(setRetentionInput)
  .output(setRetentionOutput)
  .mutation(({ ctx, input }) =>
    setRetentionService({ organizationId: ctx.org.id, ...input, actor: ctx.actor }),
  );
