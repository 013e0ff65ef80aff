import 'server-only';
import { type Actor, addAlertNote as addAlertNoteRow } from '@peregrine/db';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';

/** Adds a note to an alert of the organisation. */
export async function addAlertNote(input: {
  organizationId: string;
  alertId: string;
  body: string;
  actor: Actor;
}): Promise<{ id: string; createdAt: Date }> {
  const note = await addAlertNoteRow(db(), input);
  if (!note) throw new AppError('NOT_FOUND', `Alert ${input.alertId} does not exist.`);
  return note;
}
