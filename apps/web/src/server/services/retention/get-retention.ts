import 'server-only';
import { type AlertRetentionDto, getAlertRetention } from '@peregrine/db';
import { serverEnv } from '@/env';
import { db } from '../../db';
import { withDbErrors } from '../../errors/error-mapping';

/**
 * The organisation's retention rules and size limit with its usage, and the instance's alerts
 * quota (PEREGRINE_MAX_ALERTS_RETAINED): the collector's retention pass enforces all three.
 */
export async function getRetention(input: { organizationId: string }): Promise<
  Omit<AlertRetentionDto, 'usage'> & {
    usage: Omit<AlertRetentionDto['usage'], 'oldestEventTime'> & { oldestEventTime: string | null };
    maxAlerts: number;
  }
> {
  const retention = await withDbErrors(() => getAlertRetention(db(), input.organizationId));
  return {
    ...retention,
    usage: { ...retention.usage, oldestEventTime: retention.usage.oldestEventTime?.toISOString() ?? null },
    maxAlerts: serverEnv().quotas.alertsRetained,
  };
}
