import 'server-only';
import { listOrganizationSensors } from '@peregrine/db';
import { captureRuns, SensorCaptureSchema, SensorPhaseSchema } from '@peregrine/protocol';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';
import { listEnvironments } from '../environment/list-environments';
import { SENSOR_ONLINE_WINDOW_MS, toSensorCapture } from './list-sensors';

/**
 * What gives a reduced sensor full coverage on Debian: bpftrace (the sensor's second kernel
 * backend, one package) and root. The libbpf loader is faster but needs a compiler toolchain
 * (packages/sensor/native/build.sh); the note names it for those who want it.
 */
export const FULL_COVERAGE = {
  command: 'sudo apt-get install bpftrace',
  note:
    'then restart the sensor as root (npm start as root starts its local sensor as root). eBPF also ' +
    'needs a kernel with BTF (/sys/kernel/btf/vmlinux). For the faster libbpf capture instead: ' +
    'sudo apt-get install clang bpftool libbpf-dev libelf-dev zlib1g-dev make, then npm run build:native -w @peregrine/sensor.',
} as const;

/** Capture coverage of the sensors reporting now, for the reduced-coverage banner. */
export interface CaptureCoverage {
  /** Sensors that sent a heartbeat within the online window. */
  online: number;
  /** Of those, the ones capturing in the kernel (libbpf or bpftrace). */
  kernel: number;
  /** Of those, the ones polling /proc. */
  reduced: Array<{ name: string; hostname: string | null; reason: string | null }>;
  /**
   * Of those, the ones that do not capture every event type the environment's active rules need,
   * with those types (what each sensor's latest heartbeat says): rules on them cannot fire there.
   */
  uncaptured: Array<{ name: string; hostname: string | null; mode: string | null; eventTypes: string[] }>;
  fullCoverage: { command: string; note: string };
}

/** How well the organisation's (or one environment's) online sensors see their hosts. */
export async function getCaptureCoverage(input: {
  organizationId: string;
  environmentName: string | null;
  now?: Date;
}): Promise<CaptureCoverage> {
  let environmentId: string | undefined;
  if (input.environmentName) {
    const environments = await listEnvironments(input.organizationId);
    environmentId = environments.find((e) => e.name === input.environmentName)?.id;
    if (!environmentId) throw new AppError('NOT_FOUND', `No environment named "${input.environmentName}".`);
  }
  const now = (input.now ?? new Date()).getTime();
  const rows = await listOrganizationSensors(db(), input.organizationId, {
    ...(environmentId ? { environmentId } : {}),
  });
  const online = rows.filter(
    (row) => !row.revokedAt && row.lastSeenAt && now - row.lastSeenAt.getTime() <= SENSOR_ONLINE_WINDOW_MS,
  );
  const captures = online.map((row) => {
    const reported = reportedCapture(row.lastHeartbeat);
    // A sensor whose capture is starting (or failed) has none to count (the stored one is its last run's).
    const phase = SensorPhaseSchema.safeParse((row.lastHeartbeat as { phase?: unknown } | null)?.phase).data;
    return {
      row,
      capture: captureRuns(phase)
        ? toSensorCapture(row, reported?.reason ?? null, reported?.uncaptured ?? null)
        : null,
    };
  });
  return {
    online: online.length,
    kernel: captures.filter(({ capture }) => capture && !capture.reduced).length,
    reduced: captures
      .filter(({ capture }) => capture?.reduced)
      .map(({ row, capture }) => ({
        name: row.name,
        hostname: row.hostname,
        reason: capture?.reason ?? null,
      })),
    uncaptured: captures.flatMap(({ row, capture }) =>
      capture?.uncaptured && capture.uncaptured.length > 0
        ? [{ name: row.name, hostname: row.hostname, mode: capture.mode, eventTypes: capture.uncaptured }]
        : [],
    ),
    fullCoverage: { ...FULL_COVERAGE },
  };
}

/** The capture report inside a stored heartbeat (fallback reason, uncaptured types), if valid. */
function reportedCapture(heartbeat: unknown) {
  const parsed = SensorCaptureSchema.safeParse((heartbeat as { capture?: unknown } | null)?.capture);
  return parsed.success ? parsed.data : undefined;
}
