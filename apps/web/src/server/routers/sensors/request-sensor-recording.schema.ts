import { SENSOR_RECORDING_MAX_BYTES, SENSOR_RECORDING_MAX_SECONDS } from '@peregrine/protocol';
import { z } from 'zod';
import { sensorRecordingItem } from './sensor-recording.schema';

/** Durations the sensors page offers (seconds). */
export const RECORDING_SECONDS = [10, 30, 60, 120, 300, 600] as const;

export const requestSensorRecordingInput = z.object({
  sensorId: z.uuid(),
  seconds: z.number().int().min(5).max(SENSOR_RECORDING_MAX_SECONDS).default(60),
  /** Bound of the capture before gzip (MiB); the recording stops early when reached. */
  maxMegabytes: z
    .number()
    .int()
    .min(1)
    .max(SENSOR_RECORDING_MAX_BYTES / (1024 * 1024))
    .default(64),
});
export const requestSensorRecordingOutput = sensorRecordingItem;
