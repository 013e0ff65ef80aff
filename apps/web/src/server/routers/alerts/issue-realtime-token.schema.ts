import { z } from 'zod';
import { isoDate } from './alert-filter.schema';

export const issueRealtimeTokenInput = z.object({
  /** Environment slug to watch; null for all of the organisation's environments. */
  environment: z.string().min(1).max(64).nullable().default(null),
});

export const issueRealtimeTokenOutput = z.object({
  token: z.string(),
  /** The collector's origin (socket.io at its default path). */
  url: z.string(),
  environmentIds: z.array(z.string()),
  expiresAt: isoDate,
});
