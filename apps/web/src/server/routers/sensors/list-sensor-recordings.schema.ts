import { z } from 'zod';
import { sensorRecordingItem } from './sensor-recording.schema';

export const listSensorRecordingsInput = z.object({ sensorId: z.uuid().optional() }).default({});
export const listSensorRecordingsOutput = z.array(sensorRecordingItem);
