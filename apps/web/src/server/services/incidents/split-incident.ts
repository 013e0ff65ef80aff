import 'server-only';
import { type Actor, splitIncident as splitIncidentRows } from '@peregrine/db';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';
import { incidentScoring } from './incident-scoring';

/** Moves some alerts of an incident into a new incident (the correlator leaves them there). */
export async function splitIncident(input: {
  organizationId: string;
  actor: Actor;
  id: string;
  alertIds: string[];
  title?: string | undefined;
}): Promise<{ id: string }> {
  const r = await splitIncidentRows(db(), {
    ...input,
    ...(input.title ? { title: input.title } : {}),
    scoring: incidentScoring,
  });
  if (r === 'not_found') throw new AppError('NOT_FOUND', 'The incident or one of the alerts is not there.');
  if (r === 'all_alerts') throw new AppError('INVALID_INPUT', 'Leave at least one alert in the incident.');
  return r;
}
