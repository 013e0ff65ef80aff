import 'server-only';
import {
  type IncidentStatus,
  type IncidentSummaryDto,
  listIncidents as listIncidentRows,
} from '@peregrine/db';
import { INCIDENT_LINK_KINDS } from '@peregrine/engine';
import { db } from '../../db';

/** A page of the organisation's incidents and the cursor of the next. */
export async function listIncidents(input: {
  organizationId: string;
  environmentId?: string | undefined;
  status?: IncidentStatus[] | undefined;
  limit: number;
  cursor?: { lastSeenAt: string; id: string } | undefined;
}): Promise<{ items: IncidentSummaryDto[]; nextCursor: { lastSeenAt: string; id: string } | null }> {
  const items = await listIncidentRows(db(), {
    ...input,
    cursor: input.cursor ? { lastSeenAt: new Date(input.cursor.lastSeenAt), id: input.cursor.id } : undefined,
    linkKinds: INCIDENT_LINK_KINDS,
  });
  const last = items.length === input.limit ? items[items.length - 1] : undefined;
  return { items, nextCursor: last ? { lastSeenAt: last.lastSeenAt.toISOString(), id: last.id } : null };
}
