import 'server-only';
import { type AuditFacets, getAuditFacets as getAuditFacetRows } from '@peregrine/db';
import { db } from '../../db';

/** The actions, target types and actors that occur in the organisation's audit log. */
export async function getAuditFacets(organizationId: string): Promise<AuditFacets> {
  return getAuditFacetRows(db(), organizationId);
}
