import type { SensorHeartbeat } from './sensor-api.js';

/**
 * A valid heartbeat for tests: an eBPF sensor with no traffic, no drops and no rules yet, sent at
 * the epoch. `overrides` replaces whole top-level fields (give `drops` with every cause).
 */
export function exampleHeartbeat(overrides: Partial<SensorHeartbeat> = {}): SensorHeartbeat {
  return {
    sensorId: 's-1',
    version: '0.1.0',
    backend: 'ebpf',
    hostname: 'h',
    kernel: '6.1.0',
    startedAt: new Date(0).toISOString(),
    sentAt: new Date(0).toISOString(),
    rulesVersion: null,
    rates: { captured: 0, shipped: 0, filtered: 0 },
    totals: { captured: 0, shipped: 0, filtered: 0 },
    drops: { kernel: 0, parse: 0, queue: 0, spool: 0, rejected: 0 },
    queueDepth: 0,
    spool: { bytes: 0, batches: 0 },
    ...overrides,
  };
}
