import { createTRPCRouter } from '../../trpc';
import { getAuditFacets } from './get-audit-facets';
import { getInstanceAuditFacets } from './get-instance-audit-facets';
import { listAuditEntries } from './list-audit-entries';
import { listInstanceAuditEntries } from './list-instance-audit-entries';

/** The audit log: the organisation's, and the instance's for instance admins. */
export const auditRouter = createTRPCRouter({
  list: listAuditEntries,
  facets: getAuditFacets,
  listInstance: listInstanceAuditEntries,
  instanceFacets: getInstanceAuditFacets,
});
