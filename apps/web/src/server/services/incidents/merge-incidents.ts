import 'server-only';
import { type Actor, mergeIncidents as mergeIncidentRows } from '@peregrine/db';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';
import { incidentScoring } from './incident-scoring';

/** Moves the alerts of `sourceIds` into `targetId`; the others stay as merged. */
export async function mergeIncidents(input: {
  organizationId: string;
  actor: Actor;
  targetId: string;
  sourceIds: string[];
}): Promise<{ id: string; moved: number }> {
  const r = await mergeIncidentRows(db(), { ...input, scoring: incidentScoring });
  if (r === 'not_found')
    throw new AppError('NOT_FOUND', 'An incident to merge does not exist or was merged already.');
  if (r === 'other_environment')
    throw new AppError('INVALID_INPUT', 'Only incidents of one environment merge.');
  return r;
}
