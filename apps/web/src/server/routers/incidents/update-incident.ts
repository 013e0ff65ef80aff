import { incidentEnvironmentId } from '../../services/incidents/incident-environment';
import { updateIncident as updateIncidentService } from '../../services/incidents/update-incident';
import { environmentActorProcedure } from '../../trpc';
import { updateIncidentInput, updateIncidentOutput } from './update-incident.schema';

/** Triage at the incident level: status, assignee, resolution. The triager role in its environment. */
export const updateIncident = environmentActorProcedure('triager')
  .input(updateIncidentInput)
  .output(updateIncidentOutput)
  .mutation(async ({ ctx, input }) => {
    const { id, ...change } = input;
    await ctx.requireEnvironment({ environmentId: await incidentEnvironmentId(ctx.org.id, id) });
    return updateIncidentService({ organizationId: ctx.org.id, id, actor: ctx.actor, ...change });
  });
