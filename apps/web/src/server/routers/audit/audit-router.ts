import { createTRPCRouter } from '../../trpc';
import { getAuditFacets } from './get-audit-facets';
import { listAuditEntries } from './list-audit-entries';

/** The audit log. */
export const auditRouter = createTRPCRouter({ list: listAuditEntries, facets: getAuditFacets });
