import 'server-only';
import { listSavedViews as listSavedViewRows, type SavedViewDto } from '@peregrine/db';
import { db } from '../../db';

/** The caller's saved alert views and those shared in the organisation (API keys: shared ones). */
export function listSavedViews(input: {
  organizationId: string;
  userId: string | null;
}): Promise<SavedViewDto[]> {
  return listSavedViewRows(db(), input.organizationId, input.userId);
}
