import { addAlertNote as addAlertNoteService } from '../../services/alerts/add-alert-note';
import { environmentActorProcedure } from '../../trpc';
import { addAlertNoteInput, addAlertNoteOutput } from './add-alert-note.schema';

/** Adds a triage note to an alert: the triager role in the alert's environment. */
export const addAlertNote = environmentActorProcedure('triager')
  .input(addAlertNoteInput)
  .output(addAlertNoteOutput)
  .mutation(async ({ ctx, input }) => {
    await ctx.requireEnvironment({ alertId: BigInt(input.alertId) });
    return addAlertNoteService({
      organizationId: ctx.org.id,
      alertId: input.alertId,
      body: input.body,
      actor: ctx.actor,
    });
  });
