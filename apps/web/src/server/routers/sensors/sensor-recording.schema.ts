import { z } from 'zod';

/** A sensor's recording as the sensors page lists it. */
export const sensorRecordingItem = z.object({
  id: z.string(),
  sensorId: z.string(),
  sensorName: z.string(),
  seconds: z.number().int(),
  maxBytes: z.number().int(),
  status: z.enum(['requested', 'recording', 'uploading', 'ready', 'failed']),
  error: z.string().nullable(),
  requestedByName: z.string().nullable(),
  requestedAt: z.date(),
  startedAt: z.date().nullable(),
  finishedAt: z.date().nullable(),
  events: z.number().int(),
  captureBytes: z.number(),
  uploadedBytes: z.number(),
  bytes: z.number().nullable(),
  sha256: z.string().nullable(),
  dropped: z.number().int(),
  note: z.string().nullable(),
});
