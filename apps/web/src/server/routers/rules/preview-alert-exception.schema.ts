import { z } from 'zod';
import { alertIdSchema } from '../alerts/get-alert.schema';
import { isoDate, statusSchema } from '../alerts/alert-filter.schema';
import { exceptionDraft } from './rules-common.schema';

/** How far back a preview (or the resolution of matched alerts) looks, in days. */
export const exceptionDays = z.number().int().min(1).max(90);

export const previewAlertExceptionInput = z.object({
  alertId: alertIdSchema,
  ...exceptionDraft,
  days: exceptionDays.default(7),
});

export const previewAlertExceptionOutput = z.object({
  rule: z.string(),
  source: z.string(),
  /** The Falco rules-file item: the rule with the exception and `override: exceptions: append`. */
  yaml: z.string(),
  /** The condition Falco builds from the exception (what is matched). */
  condition: z.string(),
  days: z.number().int(),
  since: isoDate,
  /** Alerts of the rule in the environment read since then, and those the exception matches. */
  scanned: z.number().int(),
  matched: z.number().int(),
  /** False when the scan stopped at its limit: `matched` counts the alerts read. */
  complete: z.boolean(),
  suppressesThisAlert: z.boolean(),
  /** The newest matched alerts (the first page). */
  alerts: z.array(
    z.object({
      id: z.string(),
      eventTime: isoDate,
      hostname: z.string().nullable(),
      output: z.string(),
      status: statusSchema,
    }),
  ),
});
