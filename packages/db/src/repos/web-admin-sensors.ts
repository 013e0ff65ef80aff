import type { Db } from '../client.js';
import { DbError } from '../errors.js';
import { type Actor, recordAudit } from './audit.js';

/** A sensor as the console lists it (never its key, only the key's first characters). */
export interface SensorListItem {
  id: string;
  name: string;
  environment: { id: string; name: string; displayName: string };
  keyPrefix: string;
  hostname: string | null;
  version: string | null;
  backend: string | null;
  /** `libbpf`, `bpftrace` or `procfs`; null until the sensor reports it. */
  captureMode: string | null;
  /** Event types the sensor's capture covers (empty until reported). */
  captureEventTypes: string[];
  lastSeenAt: Date | null;
  /** The sensor's latest heartbeat as it sent it (rates, totals, drops, queue, spool). */
  lastHeartbeat: unknown;
  revokedAt: Date | null;
  createdAt: Date;
}

const SELECT = {
  id: true,
  name: true,
  keyPrefix: true,
  hostname: true,
  version: true,
  backend: true,
  captureMode: true,
  captureEventTypes: true,
  lastSeenAt: true,
  lastHeartbeat: true,
  revokedAt: true,
  createdAt: true,
  environment: { select: { id: true, name: true, displayName: true } },
} as const;

/** The organisation's sensors (optionally of one environment): active first, then by name. */
export async function listOrganizationSensors(
  db: Db,
  organizationId: string,
  options: { environmentId?: string } = {},
): Promise<SensorListItem[]> {
  const rows = await db.prisma.sensor.findMany({
    where: { organizationId, ...(options.environmentId ? { environmentId: options.environmentId } : {}) },
    orderBy: [
      { revokedAt: { sort: 'desc', nulls: 'first' } },
      { environment: { position: 'asc' } },
      { name: 'asc' },
    ],
    select: SELECT,
  });
  return rows.map((row) => ({ ...row, lastHeartbeat: row.lastHeartbeat ?? null }));
}

/** One sensor of the organisation, or null (another organisation's is null too). */
export async function getOrganizationSensor(
  db: Db,
  organizationId: string,
  sensorId: string,
): Promise<SensorListItem | null> {
  const row = await db.prisma.sensor.findFirst({ where: { id: sensorId, organizationId }, select: SELECT });
  return row ? { ...row, lastHeartbeat: row.lastHeartbeat ?? null } : null;
}

/** Revokes a sensor of the organisation (idempotent): its key stops working at once. */
export async function revokeOrganizationSensor(
  db: Db,
  input: { organizationId: string; sensorId: string },
  actor: Actor,
  now: Date = new Date(),
): Promise<SensorListItem> {
  return db.prisma.$transaction(async (tx) => {
    const before = await tx.sensor.findFirst({
      where: { id: input.sensorId, organizationId: input.organizationId },
      select: SELECT,
    });
    if (!before) throw new DbError('NOT_FOUND', 'sensor not found');
    if (before.revokedAt) return { ...before, lastHeartbeat: before.lastHeartbeat ?? null };
    const row = await tx.sensor.update({
      where: { id: before.id },
      data: { revokedAt: now },
      select: SELECT,
    });
    await recordAudit(tx, actor, {
      organizationId: input.organizationId,
      action: 'sensor.revoke',
      targetType: 'sensor',
      targetId: row.id,
      before: {
        name: before.name,
        environment: before.environment.name,
        keyPrefix: before.keyPrefix,
        revokedAt: null,
      },
      after: {
        name: row.name,
        environment: row.environment.name,
        keyPrefix: row.keyPrefix,
        revokedAt: row.revokedAt,
      },
    });
    return { ...row, lastHeartbeat: row.lastHeartbeat ?? null };
  });
}
