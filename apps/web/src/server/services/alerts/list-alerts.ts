import 'server-only';
import { type AlertListPage, listAlerts as listAlertRows } from '@peregrine/db';
import type { AlertFilterValue } from '../../routers/alerts/alert-filter.schema';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';
import { resolveAlertFilter } from './resolve-alert-filter';

/** One page of the organisation's alerts matching the filter, newest first. */
export async function listAlerts(input: {
  organizationId: string;
  /** Null for API keys. */
  userId: string | null;
  filter: AlertFilterValue;
  cursor: string | null;
  limit: number;
}): Promise<AlertListPage> {
  const { filter } = await resolveAlertFilter(input.organizationId, input.userId, input.filter);
  try {
    return await listAlertRows(db(), filter, { limit: input.limit, cursor: input.cursor });
  } catch (error) {
    // A hand-edited cursor that still decodes can carry an out-of-range time or id.
    if (input.cursor && error instanceof Error && /out of range|invalid input syntax/i.test(error.message)) {
      throw new AppError('INVALID_INPUT', 'The page cursor is not valid; reload the list.', { cause: error });
    }
    throw error;
  }
}
