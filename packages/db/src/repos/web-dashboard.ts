import type { Db } from '../client.js';

export interface DashboardBasics {
  /** Whether any alert exists; an existence probe, because counting millions of rows is slow. */
  hasAlerts: boolean;
  sensors: number;
  cloudSources: number;
}

/**
 * What has been connected and whether it produced alerts yet, in one organisation and
 * optionally one environment. Drives the dashboard's empty state.
 */
export async function getDashboardBasics(
  db: Db,
  scope: { organizationId: string; environmentId?: string | undefined },
): Promise<DashboardBasics> {
  const where = {
    organizationId: scope.organizationId,
    ...(scope.environmentId ? { environmentId: scope.environmentId } : {}),
  };
  const [alert, sensors, cloudSources] = await Promise.all([
    db.prisma.alert.findFirst({ where, select: { id: true } }),
    db.prisma.sensor.count({ where: { ...where, revokedAt: null } }),
    db.prisma.cloudSource.count({ where }),
  ]);
  return { hasAlerts: alert !== null, sensors, cloudSources };
}
