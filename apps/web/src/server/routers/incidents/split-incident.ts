import { incidentEnvironmentId } from '../../services/incidents/incident-environment';
import { splitIncident as splitIncidentService } from '../../services/incidents/split-incident';
import { environmentActorProcedure } from '../../trpc';
import { splitIncidentInput, splitIncidentOutput } from './split-incident.schema';

/** Moves alerts out of an incident into a new one by hand: the triager role in its environment. */
export const splitIncident = environmentActorProcedure('triager')
  .input(splitIncidentInput)
  .output(splitIncidentOutput)
  .mutation(async ({ ctx, input }) => {
    await ctx.requireEnvironment({ environmentId: await incidentEnvironmentId(ctx.org.id, input.id) });
    return splitIncidentService({ organizationId: ctx.org.id, actor: ctx.actor, ...input });
  });
