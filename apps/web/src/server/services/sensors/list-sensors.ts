import 'server-only';
import { listOrganizationSensors, type SensorListItem } from '@peregrine/db';
import { captureRuns, SensorHeartbeatSchema } from '@peregrine/protocol';
import { db } from '../../db';

/** A sensor counts as online when it sent a heartbeat this recently (sensors send one every 30 s). */
export const SENSOR_ONLINE_WINDOW_MS = 2 * 60 * 1000;

/**
 * `starting`: online, its capture not running yet (the eBPF programs loading). `failed`: its last
 * heartbeat said the capture could not start or died (the sensor then exits), however long ago.
 */
export type SensorState = 'online' | 'starting' | 'failed' | 'stale' | 'never_seen' | 'revoked';

/** The parts of the latest heartbeat the console shows. */
export interface SensorHealth {
  kernel: string;
  startedAt: string;
  rulesVersion: string | null;
  rates: { captured: number; shipped: number; filtered: number };
  totals: { captured: number; shipped: number; filtered: number };
  drops: Record<string, number>;
  queueDepth: number;
  spool: { bytes: number; batches: number };
}

/** A sensor's capture as the console shows it. */
export interface SensorCaptureItem {
  mode: 'libbpf' | 'bpftrace' | 'procfs';
  eventTypes: string[];
  /** /proc polling: process starts and exits only, no file, network or privilege events. */
  reduced: boolean;
  /** The sensor's own words on why kernel capture is not running (reduced sensors). */
  reason: string | null;
  /**
   * Event types the environment's active rules need that this sensor does not capture (the rules
   * on them cannot fire there), from its latest heartbeat; null when the sensor did not say.
   */
  uncaptured: string[] | null;
}

const MODES = new Set(['libbpf', 'bpftrace', 'procfs']);

/**
 * The capture of a stored sensor row. Sensors older than the capture report still said
 * `procfs` as their backend, which is enough to know they are reduced.
 */
export function toSensorCapture(
  row: Pick<SensorListItem, 'captureMode' | 'captureEventTypes' | 'backend'>,
  reason: string | null,
  uncaptured: string[] | null = null,
): SensorCaptureItem | null {
  const mode = row.captureMode ?? (row.backend === 'procfs' ? 'procfs' : null);
  if (!mode || !MODES.has(mode)) return null;
  const reduced = mode === 'procfs';
  return {
    mode: mode as SensorCaptureItem['mode'],
    eventTypes:
      row.captureEventTypes.length > 0 ? row.captureEventTypes : reduced ? ['execve', 'procexit'] : [],
    reduced,
    reason: reduced ? reason : null,
    uncaptured,
  };
}

/** A sensor for the console. */
export interface SensorItem {
  id: string;
  name: string;
  environment: { id: string; name: string; displayName: string };
  keyPrefix: string;
  hostname: string | null;
  version: string | null;
  backend: string | null;
  /** How the sensor captures and what that covers; null until the sensor says. */
  capture: SensorCaptureItem | null;
  lastSeenAt: string | null;
  state: SensorState;
  /** Why the capture could not start or died (state `failed`), in the sensor's words. */
  captureError: string | null;
  /** Null before the first heartbeat, or when the stored one does not match the protocol. */
  health: SensorHealth | null;
  revokedAt: string | null;
  createdAt: string;
}

export function toSensorItem(row: SensorListItem, now: Date): SensorItem {
  const parsed = SensorHeartbeatSchema.safeParse(row.lastHeartbeat);
  const phase = parsed.success ? parsed.data.phase : undefined;
  const notCapturing = !captureRuns(phase);
  const state: SensorState = row.revokedAt
    ? 'revoked'
    : !row.lastSeenAt
      ? 'never_seen'
      : phase === 'failed'
        ? 'failed'
        : now.getTime() - row.lastSeenAt.getTime() > SENSOR_ONLINE_WINDOW_MS
          ? 'stale'
          : notCapturing
            ? 'starting'
            : 'online';
  return {
    id: row.id,
    name: row.name,
    environment: row.environment,
    keyPrefix: row.keyPrefix,
    hostname: row.hostname,
    version: row.version,
    backend: row.backend,
    // What a previous run captured says nothing of what this one will (or could not).
    capture: notCapturing
      ? null
      : toSensorCapture(
          row,
          parsed.success ? (parsed.data.capture?.reason ?? null) : null,
          parsed.success ? (parsed.data.capture?.uncaptured ?? null) : null,
        ),
    lastSeenAt: row.lastSeenAt?.toISOString() ?? null,
    state,
    captureError: phase === 'failed' && parsed.success ? (parsed.data.error ?? 'the capture failed') : null,
    health: parsed.success
      ? {
          kernel: parsed.data.kernel,
          startedAt: parsed.data.startedAt,
          rulesVersion: parsed.data.rulesVersion,
          rates: parsed.data.rates,
          totals: parsed.data.totals,
          drops: parsed.data.drops,
          queueDepth: parsed.data.queueDepth,
          spool: parsed.data.spool,
        }
      : null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

/** The organisation's sensors with their health, optionally of one environment. */
export async function listSensors(input: {
  organizationId: string;
  environmentId?: string | undefined;
  now?: Date;
}): Promise<SensorItem[]> {
  const now = input.now ?? new Date();
  const rows = await listOrganizationSensors(db(), input.organizationId, {
    ...(input.environmentId ? { environmentId: input.environmentId } : {}),
  });
  return rows.map((row) => toSensorItem(row, now));
}
