import { getAlertContext as getAlertContextService } from '../../services/entities/get-alert-context';
import { resolveAlertEnvironments } from '../../services/membership/environment-access';
import { environmentActorProcedure } from '../../trpc';
import { getAlertContextInput, getAlertContextOutput } from './get-alert-context.schema';

/**
 * An alert's entities, what else named them around its time across sources, and its process
 * tree. Needs the viewer role in the alert's environment.
 */
export const getAlertContext = environmentActorProcedure('viewer')
  .input(getAlertContextInput)
  .output(getAlertContextOutput)
  .query(async ({ ctx, input }) => {
    for (const environment of await resolveAlertEnvironments(ctx.org.id, [input.id])) {
      await ctx.requireEnvironment({ environmentId: environment.id });
    }
    return getAlertContextService({
      organizationId: ctx.org.id,
      id: input.id,
      windowMinutes: input.windowMinutes,
    });
  });
