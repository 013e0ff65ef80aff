import { z } from 'zod';
import { alertFilterSchema } from './alert-filter.schema';

export const exportAlertsInput = z.object({
  filter: alertFilterSchema,
  format: z.enum(['csv', 'ndjson']),
});

/** The export's body, produced page by page as the client reads it. */
export const exportAlertsOutput = z.instanceof(ReadableStream<Uint8Array>);
