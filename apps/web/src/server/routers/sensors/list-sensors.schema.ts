import { z } from 'zod';
import { sensorItem } from './sensor.schema';

export const listSensorsInput = z.object({ environmentId: z.uuid().optional() }).default({});
export const listSensorsOutput = z.array(sensorItem);
