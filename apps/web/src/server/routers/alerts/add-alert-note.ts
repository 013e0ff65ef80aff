import { addAlertNote as addAlertNoteService } from '../../services/alerts/add-alert-note';
import { orgProcedure } from '../../trpc';
import { addAlertNoteInput, addAlertNoteOutput } from './add-alert-note.schema';

/** Adds a triage note to an alert. */
export const addAlertNote = orgProcedure('triager')
  .input(addAlertNoteInput)
  .output(addAlertNoteOutput)
  .mutation(({ ctx, input }) =>
    addAlertNoteService({
      organizationId: ctx.org.id,
      alertId: input.alertId,
      body: input.body,
      actor: { userId: ctx.viewer.id, userAgent: ctx.headers.get('user-agent') },
    }),
  );
