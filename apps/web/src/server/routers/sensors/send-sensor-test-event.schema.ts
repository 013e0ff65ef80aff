import { SourceTestEventResultSchema } from '@peregrine/protocol';
import { z } from 'zod';

export const sendSensorTestEventInput = z.object({ sensorId: z.uuid() });

/** What the collector did with the test event (packages/protocol's SourceTestEventResult). */
export const sendSensorTestEventOutput = SourceTestEventResultSchema;
