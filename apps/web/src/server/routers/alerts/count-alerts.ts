import { countAlerts as countAlertsService } from '../../services/alerts/count-alerts';
import { orgProcedure } from '../../trpc';
import { countAlertsInput, countAlertsOutput } from './count-alerts.schema';

/** How many alerts match the filter, for a bulk action's confirmation. */
export const countAlerts = orgProcedure('viewer')
  .input(countAlertsInput)
  .output(countAlertsOutput)
  .query(({ ctx, input }) =>
    countAlertsService({ organizationId: ctx.org.id, userId: ctx.viewer.id, filter: input.filter }),
  );
