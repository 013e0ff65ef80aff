import { listAuditEntries as listAuditEntriesService } from '../../services/audit/list-audit-entries';
import { instanceAdminProcedure } from '../../trpc';
import { listAuditEntriesInput, listAuditEntriesOutput } from './list-audit-entries.schema';

/**
 * Instance admins page through the instance-level audit log (organisations created and deleted),
 * which no organisation owns and which outlives a deleted organisation's own log.
 */
export const listInstanceAuditEntries = instanceAdminProcedure
  .input(listAuditEntriesInput)
  .output(listAuditEntriesOutput)
  .query(({ input }) =>
    listAuditEntriesService({
      organizationId: null,
      filter: input.filter,
      cursor: input.cursor ?? null,
      limit: input.limit,
    }),
  );
