import { listAlerts as listAlertsService } from '../../services/alerts/list-alerts';
import { orgActorProcedure } from '../../trpc';
import { listAlertsInput, listAlertsOutput } from './list-alerts.schema';

/** One page of alerts matching the filter, newest first (keyset cursor). */
export const listAlerts = orgActorProcedure('viewer')
  .input(listAlertsInput)
  .output(listAlertsOutput)
  .query(({ ctx, input }) =>
    listAlertsService({ organizationId: ctx.org.id, userId: ctx.actor.userId, ...input }),
  );
