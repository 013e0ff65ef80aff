import { z } from 'zod';
import { sensorRecordingItem } from './sensor-recording.schema';

export const downloadSensorRecordingInput = z.object({ recordingId: z.uuid() });

/** The recording's metadata and its gzip file, streamed chunk by chunk from the database. */
export const downloadSensorRecordingOutput = z.object({
  recording: sensorRecordingItem,
  body: z.instanceof(ReadableStream<Uint8Array>),
});
