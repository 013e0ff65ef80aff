import { getAuditFacets as getAuditFacetsService } from '../../services/audit/get-audit-facets';
import { instanceAdminProcedure } from '../../trpc';
import { getAuditFacetsOutput } from './get-audit-facets.schema';

/** Instance admins get the values the instance audit log's filters can take. */
export const getInstanceAuditFacets = instanceAdminProcedure
  .output(getAuditFacetsOutput)
  .query(() => getAuditFacetsService(null));
