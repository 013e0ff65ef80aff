import { getAlert as getAlertService } from '../../services/alerts/get-alert';
import { orgActorProcedure } from '../../trpc';
import { getAlertInput, getAlertOutput } from './get-alert.schema';

/** One alert: every field, group, notes, activity and related alerts. */
export const getAlert = orgActorProcedure('viewer')
  .input(getAlertInput)
  .output(getAlertOutput)
  .query(({ ctx, input }) => getAlertService({ organizationId: ctx.org.id, id: input.id }));
