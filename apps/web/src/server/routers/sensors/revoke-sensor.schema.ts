import { z } from 'zod';
import { sensorItem } from './sensor.schema';

export const revokeSensorInput = z.object({ sensorId: z.uuid() });
export const revokeSensorOutput = sensorItem;
