import { triageAlerts as triageAlertsService } from '../../services/alerts/triage-alerts';
import { resolveAlertEnvironments } from '../../services/membership/environment-access';
import { environmentActorProcedure } from '../../trpc';
import { triageAlertsInput, triageAlertsOutput } from './triage-alerts.schema';

/**
 * Sets status and/or assignee on a selection or on everything matching a filter. Triage needs the
 * triager role in the alerts' environments: a selection reaching one where the caller is a viewer
 * is refused whole; a filter over every environment covers those where they triage.
 */
export const triageAlerts = environmentActorProcedure('triager')
  .input(triageAlertsInput)
  .output(triageAlertsOutput)
  .mutation(async ({ ctx, input }) => {
    if ('ids' in input.target) {
      for (const environment of await resolveAlertEnvironments(ctx.org.id, input.target.ids)) {
        await ctx.requireEnvironment({ environmentId: environment.id });
      }
    }
    return triageAlertsService({
      organizationId: ctx.org.id,
      actor: ctx.actor,
      change: { status: input.status, assigneeId: input.assigneeId },
      target: input.target,
      environmentsAllowed: 'filter' in input.target ? await ctx.environmentsAllowed() : null,
    });
  });
