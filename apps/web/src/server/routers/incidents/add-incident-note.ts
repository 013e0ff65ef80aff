import { addIncidentNote as addIncidentNoteService } from '../../services/incidents/add-incident-note';
import { incidentEnvironmentId } from '../../services/incidents/incident-environment';
import { environmentActorProcedure } from '../../trpc';
import { addIncidentNoteInput, addIncidentNoteOutput } from './add-incident-note.schema';

/** Adds a note to an incident: the triager role in its environment. */
export const addIncidentNote = environmentActorProcedure('triager')
  .input(addIncidentNoteInput)
  .output(addIncidentNoteOutput)
  .mutation(async ({ ctx, input }) => {
    await ctx.requireEnvironment({ environmentId: await incidentEnvironmentId(ctx.org.id, input.id) });
    return addIncidentNoteService({ organizationId: ctx.org.id, actor: ctx.actor, ...input });
  });
