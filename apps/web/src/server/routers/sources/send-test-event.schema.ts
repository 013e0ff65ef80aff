import { SourceTestEventResultSchema } from '@peregrine/protocol';
import { z } from 'zod';

export const sendTestEventInput = z.object({ sourceId: z.uuid() });

/** What the collector did with the test event (packages/protocol's SourceTestEventResult). */
export const sendTestEventOutput = SourceTestEventResultSchema;
