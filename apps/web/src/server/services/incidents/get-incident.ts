import 'server-only';
import { getIncident as getIncidentRow, type IncidentDetailDto } from '@peregrine/db';
import { INCIDENT_LINK_KINDS } from '@peregrine/engine';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';

/** One incident of the organisation with its timeline. */
export async function getIncident(input: { organizationId: string; id: string }): Promise<IncidentDetailDto> {
  const incident = await getIncidentRow(db(), { ...input, linkKinds: INCIDENT_LINK_KINDS });
  if (!incident) throw new AppError('NOT_FOUND', `Incident ${input.id} does not exist.`);
  return incident;
}
