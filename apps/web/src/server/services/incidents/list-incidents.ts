import 'server-only';
import { type IncidentStatus, type IncidentSummaryDto, listIncidentPage } from '@peregrine/db';
import { INCIDENT_LINK_KINDS } from '@peregrine/engine';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';

/** A page of the organisation's incidents and the cursor of the next (null: the last page). */
export async function listIncidents(input: {
  organizationId: string;
  environmentId?: string | undefined;
  status?: IncidentStatus[] | undefined;
  limit: number;
  cursor?: string | null | undefined;
}): Promise<{ items: IncidentSummaryDto[]; nextCursor: string | null }> {
  const invalid = () => new AppError('INVALID_INPUT', 'The page cursor is not valid; reload the list.');
  try {
    const page = await listIncidentPage(db(), {
      organizationId: input.organizationId,
      environmentId: input.environmentId,
      status: input.status,
      limit: input.limit,
      cursor: input.cursor ?? undefined,
      linkKinds: INCIDENT_LINK_KINDS,
    });
    if (!page) throw invalid();
    return page;
  } catch (error) {
    // A hand-edited cursor that still decodes can carry an out-of-range time.
    if (input.cursor && error instanceof Error && /out of range|invalid input syntax/i.test(error.message))
      throw invalid();
    throw error;
  }
}
