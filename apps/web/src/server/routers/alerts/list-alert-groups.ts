import { listAlertGroups as listAlertGroupsService } from '../../services/alerts/list-alert-groups';
import { orgActorProcedure } from '../../trpc';
import { listAlertGroupsInput, listAlertGroupsOutput } from './list-alert-groups.schema';

/** Repeated alerts (same rule and key fields) with count, first and last seen. */
export const listAlertGroups = orgActorProcedure('viewer')
  .input(listAlertGroupsInput)
  .output(listAlertGroupsOutput)
  .query(({ ctx, input }) =>
    listAlertGroupsService({ organizationId: ctx.org.id, userId: ctx.actor.userId, ...input }),
  );
