import { addAlertNote as addAlertNoteService } from '../../services/alerts/add-alert-note';
import { orgActorProcedure } from '../../trpc';
import { addAlertNoteInput, addAlertNoteOutput } from './add-alert-note.schema';

/** Adds a triage note to an alert. */
export const addAlertNote = orgActorProcedure('triager')
  .input(addAlertNoteInput)
  .output(addAlertNoteOutput)
  .mutation(({ ctx, input }) =>
    addAlertNoteService({
      organizationId: ctx.org.id,
      alertId: input.alertId,
      body: input.body,
      actor: ctx.actor,
    }),
  );
