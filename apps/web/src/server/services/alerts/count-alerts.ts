import 'server-only';
import { countAlerts as countAlertRows } from '@peregrine/db';
import type { AlertFilterValue } from '../../routers/alerts/alert-filter.schema';
import { db } from '../../db';
import { resolveAlertFilter } from './resolve-alert-filter';

/** How many alerts match (for a bulk action's confirmation) and the newest matching id. */
export async function countAlerts(input: {
  organizationId: string;
  /** Null for API keys. */
  userId: string | null;
  filter: AlertFilterValue;
}): Promise<{ count: number; maxId: string | null }> {
  const { filter } = await resolveAlertFilter(input.organizationId, input.userId, input.filter);
  return countAlertRows(db(), filter);
}
