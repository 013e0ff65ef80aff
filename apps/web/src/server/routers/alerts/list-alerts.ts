import { listAlerts as listAlertsService } from '../../services/alerts/list-alerts';
import { orgProcedure } from '../../trpc';
import { listAlertsInput, listAlertsOutput } from './list-alerts.schema';

/** One page of alerts matching the filter, newest first (keyset cursor). */
export const listAlerts = orgProcedure('viewer')
  .input(listAlertsInput)
  .output(listAlertsOutput)
  .query(({ ctx, input }) =>
    listAlertsService({ organizationId: ctx.org.id, userId: ctx.viewer.id, ...input }),
  );
