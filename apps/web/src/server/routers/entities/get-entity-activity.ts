import { getEntityActivity as getEntityActivityService } from '../../services/entities/get-entity-activity';
import { resolveEnvironment } from '../../services/membership/environment-access';
import { environmentActorProcedure } from '../../trpc';
import { getEntityActivityInput, getEntityActivityOutput } from './get-entity-activity.schema';

/** Everything that named one entity (a pod, a person, an IP…) in a time window, across sources. */
export const getEntityActivity = environmentActorProcedure('viewer')
  .input(getEntityActivityInput)
  .output(getEntityActivityOutput)
  .query(async ({ ctx, input }) => {
    await ctx.requireEnvironment({ environmentId: input.environmentId });
    const environment = await resolveEnvironment(ctx.org.id, { environmentId: input.environmentId });
    return getEntityActivityService({
      organizationId: ctx.org.id,
      environment,
      kind: input.kind,
      value: input.value,
      hours: input.hours,
      to: input.to ?? new Date(),
      limit: input.limit,
    });
  });
