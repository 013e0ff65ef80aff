import 'server-only';
import { type AuditFacets, getAuditFacets as getAuditFacetRows } from '@peregrine/db';
import { db } from '../../db';

/** The actions, target types and actors in the organisation's audit log (null: the instance's). */
export async function getAuditFacets(organizationId: string | null): Promise<AuditFacets> {
  return getAuditFacetRows(db(), organizationId);
}
