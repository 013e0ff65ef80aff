import 'server-only';
import { type AlertGroupRow, listAlertGroups as listAlertGroupRows } from '@peregrine/db';
import type { AlertFilterValue } from '../../routers/alerts/alert-filter.schema';
import { db } from '../../db';
import { resolveAlertFilter } from './resolve-alert-filter';

/**
 * Repeated alerts grouped by rule and key fields, most recently seen first. Uses the filter's
 * environment, priority, rules, sources, statuses and time range (groups carry no host, tags or
 * output fields).
 */
export async function listAlertGroups(input: {
  organizationId: string;
  /** Null for API keys. */
  userId: string | null;
  filter: AlertFilterValue;
  cursor: string | null;
  limit: number;
}): Promise<{ rows: AlertGroupRow[]; nextCursor: string | null }> {
  const { filter } = await resolveAlertFilter(input.organizationId, input.userId, input.filter);
  return listAlertGroupRows(
    db(),
    {
      organizationId: filter.organizationId,
      environmentIds: filter.environmentIds,
      priority: filter.priority,
      rules: filter.rules,
      sources: filter.sources,
      statuses: filter.statuses,
      from: filter.from,
      to: filter.to,
    },
    { limit: input.limit, cursor: input.cursor },
  );
}
