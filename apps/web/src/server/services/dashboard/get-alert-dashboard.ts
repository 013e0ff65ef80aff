import 'server-only';
import { type AlertDashboard, getAlertDashboard as getAlertDashboardRows } from '@peregrine/db';
import type { AlertFilterValue } from '../../routers/alerts/alert-filter.schema';
import { db } from '../../db';
import { resolveAlertFilter } from '../alerts/resolve-alert-filter';

/**
 * About 24-60 points on the time axis, on round bucket sizes; a day or more gets whole hours so
 * the hourly rollups answer it.
 */
const BUCKETS = [60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86_400];

function bucketFor(spanMs: number): number {
  const wanted = spanMs / 1000 / 60;
  const floor = spanMs >= 86_400_000 ? 3600 : 60;
  return BUCKETS.find((b) => b >= wanted && b >= floor) ?? 86_400;
}

/**
 * Charts for the dashboard over the filter's time range (the last 24 hours by default), with the
 * bucket size chosen from the span.
 */
export async function getAlertDashboard(input: {
  organizationId: string;
  /** Null for API keys. */
  userId: string | null;
  filter: AlertFilterValue;
  now?: Date;
}): Promise<AlertDashboard & { from: Date; to: Date; bucketSeconds: number }> {
  const now = input.now ?? new Date();
  const withRange =
    input.filter.range || input.filter.from ? input.filter : { ...input.filter, range: '24h' as const };
  const { filter } = await resolveAlertFilter(input.organizationId, input.userId, withRange, now);
  const from = filter.from ?? new Date(now.getTime() - 86_400_000);
  const to = filter.to ?? now;
  const bucketSeconds = bucketFor(to.getTime() - from.getTime());
  const dashboard = await getAlertDashboardRows(db(), { ...filter, from }, { bucketSeconds });
  return { ...dashboard, from, to, bucketSeconds };
}
