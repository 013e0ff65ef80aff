import 'server-only';
import { type Actor, createSavedView as createSavedViewRow, type SavedViewDto } from '@peregrine/db';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';

/** Saves the alert list's query string under a name (unique per user). */
export async function createSavedView(input: {
  organizationId: string;
  userId: string;
  name: string;
  query: Record<string, string>;
  shared: boolean;
  actor: Actor;
}): Promise<SavedViewDto> {
  const view = await createSavedViewRow(db(), input);
  if (!view) throw new AppError('CONFLICT', `You already have a view named "${input.name}".`);
  return view;
}
