import { getAuditFacets as getAuditFacetsService } from '../../services/audit/get-audit-facets';
import { orgActorProcedure } from '../../trpc';
import { getAuditFacetsOutput } from './get-audit-facets.schema';

/** Admins get the values the audit filters can take. */
export const getAuditFacets = orgActorProcedure('admin')
  .output(getAuditFacetsOutput)
  .query(({ ctx }) => getAuditFacetsService(ctx.org.id));
