import 'server-only';
import { type IncidentStatus, type IncidentSummaryDto, listIncidentPage } from '@peregrine/db';
import { INCIDENT_LINK_KINDS } from '@peregrine/engine';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';
import { attackTagsInRange } from '../attack/find-attack-incidents';

/** A page of the organisation's incidents and the cursor of the next (null: the last page). */
export async function listIncidents(input: {
  organizationId: string;
  environmentId?: string | undefined;
  status?: IncidentStatus[] | undefined;
  /** The ATT&CK matrix's click-through: incidents it counted under `id` over [from, to). */
  attack?: { id: string; from: string; to: string } | undefined;
  limit: number;
  cursor?: string | null | undefined;
}): Promise<{ items: IncidentSummaryDto[]; nextCursor: string | null }> {
  const invalid = () => new AppError('INVALID_INPUT', 'The page cursor is not valid; reload the list.');
  let withTags: { from: Date; to: Date; tags: string[] } | undefined;
  if (input.attack) {
    if (!input.environmentId) throw new AppError('INVALID_INPUT', 'The ATT&CK filter needs an environment.');
    const from = new Date(input.attack.from);
    const to = new Date(input.attack.to);
    if (!(from < to)) throw new AppError('INVALID_INPUT', 'The time range ends before it starts.');
    // The same incidents the matrix counts: an alert in the range with a tag that reaches the id.
    const tags = await attackTagsInRange(
      { organizationId: input.organizationId, environmentId: input.environmentId, from, to },
      input.attack.id,
    );
    withTags = { from, to, tags };
  }
  try {
    const page = await listIncidentPage(db(), {
      organizationId: input.organizationId,
      environmentId: input.environmentId,
      status: input.status,
      withTags,
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
