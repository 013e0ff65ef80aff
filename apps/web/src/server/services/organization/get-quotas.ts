import 'server-only';
import { getOrganizationUsage } from '@peregrine/db';
import { serverEnv } from '@/env';
import { db } from '../../db';

export interface Quota {
  used: number;
  limit: number;
}

/**
 * The organisation's use of the instance's per-organisation limits (PEREGRINE_MAX_SENSORS,
 * PEREGRINE_MAX_SOURCES, PEREGRINE_MAX_ALERTS_RETAINED). Sensors and sources beyond theirs are
 * refused when registered; the collector's retention pass deletes the oldest alerts past theirs.
 */
export async function getQuotas(input: {
  organizationId: string;
}): Promise<{ sensors: Quota; sources: Quota; alertsRetained: Quota }> {
  const usage = await getOrganizationUsage(db(), input.organizationId);
  const limits = serverEnv().quotas;
  return {
    sensors: { used: usage.sensors, limit: limits.sensors },
    sources: { used: usage.sources, limit: limits.sources },
    alertsRetained: { used: usage.alertsRetained, limit: limits.alertsRetained },
  };
}
