import { listAlertGroups as listAlertGroupsService } from '../../services/alerts/list-alert-groups';
import { orgProcedure } from '../../trpc';
import { listAlertGroupsInput, listAlertGroupsOutput } from './list-alert-groups.schema';

/** Repeated alerts (same rule and key fields) with count, first and last seen. */
export const listAlertGroups = orgProcedure('viewer')
  .input(listAlertGroupsInput)
  .output(listAlertGroupsOutput)
  .query(({ ctx, input }) =>
    listAlertGroupsService({ organizationId: ctx.org.id, userId: ctx.viewer.id, ...input }),
  );
