import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../client.js';
import { DbError } from '../errors.js';
import { checkQuota } from './organization-quotas.js';

/** What a sensor API key resolves to. */
export interface SensorIdentity {
  sensorId: string;
  organizationId: string;
  environmentId: string;
  name: string;
}

/** A newly registered sensor with its API key (shown once, stored only as a SHA-256 hash). */
export interface RegisteredSensor extends SensorIdentity {
  apiKey: string;
  keyPrefix: string;
}

/** Heartbeat fields stored on the sensor row. */
export interface SensorHeartbeatInput {
  hostname: string;
  version: string;
  /** The backend in use; absent while the sensor's capture is starting (left as stored). */
  backend?: string | undefined;
  /** Capture mode and the event types it covers; absent from older sensors (left as stored). */
  capture?: { mode: string; eventTypes: string[] } | undefined;
  /** The whole heartbeat (rates, drops, queue depth, spool), kept as JSON for the console. */
  heartbeat: Record<string, unknown>;
  seenAt?: Date;
}

const KEY_PREFIX = 'prs_';

/** SHA-256 hex of an API key: the only form in which keys are stored and looked up. */
export function hashSensorKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Registers a sensor in one environment and returns its API key, which is never retrievable again. */
export async function registerSensor(
  db: Db,
  input: {
    environmentId: string;
    name: string;
    /** The organisation's sensor quota (unrevoked sensors); unlimited when absent. */
    maxSensors?: number;
  },
): Promise<RegisteredSensor> {
  const env = await db.prisma.environment.findUnique({
    where: { id: input.environmentId },
    select: { id: true, organizationId: true },
  });
  if (!env) throw new DbError('NOT_FOUND', 'environment not found');
  const apiKey = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  const keyPrefix = apiKey.slice(0, KEY_PREFIX.length + 6);
  try {
    const row = await db.prisma.$transaction(async (tx) => {
      if (input.maxSensors !== undefined) {
        await checkQuota(tx, env.organizationId, 'sensors', input.maxSensors);
      }
      return tx.sensor.create({
        data: {
          organizationId: env.organizationId,
          environmentId: env.id,
          name: input.name,
          keyPrefix,
          keyHash: hashSensorKey(apiKey),
        },
        select: { id: true, name: true },
      });
    });
    return {
      sensorId: row.id,
      organizationId: env.organizationId,
      environmentId: env.id,
      name: row.name,
      apiKey,
      keyPrefix,
    };
  } catch (err) {
    if ((err as { code?: string }).code === 'P2002') {
      throw new DbError('CONFLICT', `a sensor named '${input.name}' already exists in this environment`);
    }
    throw err;
  }
}

/** Resolves an API key to its sensor; null for unknown or revoked keys. */
export async function findSensorByKey(db: Db, apiKey: string): Promise<SensorIdentity | null> {
  const row = await db.prisma.sensor.findUnique({
    where: { keyHash: hashSensorKey(apiKey) },
    select: { id: true, organizationId: true, environmentId: true, name: true, revokedAt: true },
  });
  if (!row || row.revokedAt) return null;
  return {
    sensorId: row.id,
    organizationId: row.organizationId,
    environmentId: row.environmentId,
    name: row.name,
  };
}

/** A sensor by id, revoked or not, with the hostname it last reported (a sensor's test event). */
export async function getSensorIdentity(
  db: Db,
  sensorId: string,
): Promise<(SensorIdentity & { hostname: string | null; revoked: boolean }) | null> {
  const row = await db.prisma.sensor.findUnique({
    where: { id: sensorId },
    select: {
      id: true,
      organizationId: true,
      environmentId: true,
      name: true,
      hostname: true,
      revokedAt: true,
    },
  });
  if (!row) return null;
  return {
    sensorId: row.id,
    organizationId: row.organizationId,
    environmentId: row.environmentId,
    name: row.name,
    hostname: row.hostname,
    revoked: row.revokedAt !== null,
  };
}

/** Revokes a sensor's key: later requests with it are refused. */
export async function revokeSensor(db: Db, sensorId: string): Promise<void> {
  await db.prisma.sensor.update({ where: { id: sensorId }, data: { revokedAt: new Date() } });
}

/** Stores a heartbeat: last seen time, version, backend, hostname and the counters. */
export async function recordSensorHeartbeat(
  db: Db,
  sensorId: string,
  input: SensorHeartbeatInput,
): Promise<void> {
  await db.prisma.sensor.update({
    where: { id: sensorId },
    data: {
      lastSeenAt: input.seenAt ?? new Date(),
      hostname: input.hostname,
      version: input.version,
      ...(input.backend ? { backend: input.backend } : {}),
      ...(input.capture
        ? { captureMode: input.capture.mode, captureEventTypes: input.capture.eventTypes }
        : {}),
      lastHeartbeat: input.heartbeat as object,
    },
  });
}

/** A sensor's stored state, for tests and the console. */
export interface SensorStatus {
  sensorId: string;
  name: string;
  hostname: string | null;
  version: string | null;
  backend: string | null;
  captureMode: string | null;
  captureEventTypes: string[];
  lastSeenAt: Date | null;
  lastHeartbeat: unknown;
}

/** Reads a sensor's stored state. */
export async function getSensorStatus(db: Db, sensorId: string): Promise<SensorStatus | null> {
  const row = await db.prisma.sensor.findUnique({
    where: { id: sensorId },
    select: {
      id: true,
      name: true,
      hostname: true,
      version: true,
      backend: true,
      captureMode: true,
      captureEventTypes: true,
      lastSeenAt: true,
      lastHeartbeat: true,
    },
  });
  if (!row) return null;
  const { id, ...rest } = row;
  return { sensorId: id, ...rest };
}
