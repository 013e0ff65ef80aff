import { listAuditEntries as listAuditEntriesService } from '../../services/audit/list-audit-entries';
import { orgActorProcedure } from '../../trpc';
import { listAuditEntriesInput, listAuditEntriesOutput } from './list-audit-entries.schema';

/** Admins page through the organisation's audit log, newest first. */
export const listAuditEntries = orgActorProcedure('admin')
  .input(listAuditEntriesInput)
  .output(listAuditEntriesOutput)
  .query(({ ctx, input }) =>
    listAuditEntriesService({
      organizationId: ctx.org.id,
      filter: input.filter,
      cursor: input.cursor ?? null,
      limit: input.limit,
    }),
  );
