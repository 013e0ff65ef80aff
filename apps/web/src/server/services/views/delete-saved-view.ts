import 'server-only';
import { type Actor, deleteSavedView as deleteSavedViewRow } from '@peregrine/db';
import type { Role } from '../../roles';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';

/** Deletes one of the caller's views; admins may also delete views others shared. */
export async function deleteSavedView(input: {
  organizationId: string;
  /** Null for API keys: they own no views, so admin keys delete shared ones only. */
  userId: string | null;
  role: Role;
  id: string;
  actor: Actor;
}): Promise<void> {
  const outcome = await deleteSavedViewRow(db(), {
    organizationId: input.organizationId,
    id: input.id,
    userId: input.userId,
    canDeleteOthers: input.role === 'admin',
    actor: input.actor,
  });
  if (outcome === 'not_found') throw new AppError('NOT_FOUND', 'That view does not exist.');
  if (outcome === 'forbidden')
    throw new AppError('INSUFFICIENT_ROLE', 'Only its owner or an admin can delete a shared view.');
}
