import { triageAlerts as triageAlertsService } from '../../services/alerts/triage-alerts';
import { orgActorProcedure } from '../../trpc';
import { triageAlertsInput, triageAlertsOutput } from './triage-alerts.schema';

/** Sets status and/or assignee on a selection or on everything matching a filter. */
export const triageAlerts = orgActorProcedure('triager')
  .input(triageAlertsInput)
  .output(triageAlertsOutput)
  .mutation(({ ctx, input }) =>
    triageAlertsService({
      organizationId: ctx.org.id,
      actor: ctx.actor,
      change: { status: input.status, assigneeId: input.assigneeId },
      target: input.target,
    }),
  );
