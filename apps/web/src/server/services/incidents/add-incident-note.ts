import 'server-only';
import { type Actor, addIncidentNote as addIncidentNoteRow } from '@peregrine/db';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';

/** Adds a note to an incident of the organisation. */
export async function addIncidentNote(input: {
  organizationId: string;
  id: string;
  actor: Actor;
  body: string;
}): Promise<{ createdAt: Date }> {
  const r = await addIncidentNoteRow(db(), input);
  if (!r) throw new AppError('NOT_FOUND', `Incident ${input.id} does not exist.`);
  return r;
}
