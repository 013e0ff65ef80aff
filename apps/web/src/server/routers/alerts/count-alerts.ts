import { countAlerts as countAlertsService } from '../../services/alerts/count-alerts';
import { orgActorProcedure } from '../../trpc';
import { countAlertsInput, countAlertsOutput } from './count-alerts.schema';

/** How many alerts match the filter, for a bulk action's confirmation. */
export const countAlerts = orgActorProcedure('viewer')
  .input(countAlertsInput)
  .output(countAlertsOutput)
  .query(({ ctx, input }) =>
    countAlertsService({ organizationId: ctx.org.id, userId: ctx.actor.userId, filter: input.filter }),
  );
