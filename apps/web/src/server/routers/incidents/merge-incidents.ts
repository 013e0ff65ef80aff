import { incidentEnvironmentId } from '../../services/incidents/incident-environment';
import { mergeIncidents as mergeIncidentsService } from '../../services/incidents/merge-incidents';
import { environmentActorProcedure } from '../../trpc';
import { mergeIncidentsInput, mergeIncidentsOutput } from './merge-incidents.schema';

/** Merges incidents of one environment into one by hand: the triager role there. */
export const mergeIncidents = environmentActorProcedure('triager')
  .input(mergeIncidentsInput)
  .output(mergeIncidentsOutput)
  .mutation(async ({ ctx, input }) => {
    await ctx.requireEnvironment({ environmentId: await incidentEnvironmentId(ctx.org.id, input.targetId) });
    return mergeIncidentsService({ organizationId: ctx.org.id, actor: ctx.actor, ...input });
  });
