import { z } from 'zod';

const counts = z.object({ captured: z.number(), shipped: z.number(), filtered: z.number() });

export const sensorCapture = z.object({
  mode: z.enum(['libbpf', 'bpftrace', 'procfs']),
  eventTypes: z.array(z.string()),
  reduced: z.boolean(),
  reason: z.string().nullable(),
  uncaptured: z.array(z.string()).nullable(),
});

/** The one command that gives a reduced sensor full coverage, with what must go with it. */
export const fullCoverageHint = z.object({ command: z.string(), note: z.string() });

export const sensorItem = z.object({
  id: z.string(),
  name: z.string(),
  environment: z.object({ id: z.string(), name: z.string(), displayName: z.string() }),
  keyPrefix: z.string(),
  hostname: z.string().nullable(),
  version: z.string().nullable(),
  backend: z.string().nullable(),
  capture: sensorCapture.nullable(),
  lastSeenAt: z.iso.datetime().nullable(),
  state: z.enum(['online', 'starting', 'failed', 'stale', 'never_seen', 'revoked']),
  captureError: z.string().nullable(),
  health: z
    .object({
      kernel: z.string(),
      startedAt: z.string(),
      rulesVersion: z.string().nullable(),
      rates: counts,
      totals: counts,
      drops: z.record(z.string(), z.number()),
      queueDepth: z.number(),
      spool: z.object({ bytes: z.number(), batches: z.number() }),
    })
    .nullable(),
  revokedAt: z.iso.datetime().nullable(),
  createdAt: z.iso.datetime(),
});
