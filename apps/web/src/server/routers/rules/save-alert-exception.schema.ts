import { z } from 'zod';
import { alertIdSchema } from '../alerts/get-alert.schema';
import { exceptionDays } from './preview-alert-exception.schema';
import { exceptionDraft, uuid } from './rules-common.schema';

export const saveAlertExceptionInput = z.object({
  alertId: alertIdSchema,
  ...exceptionDraft,
  /** The alert's environment's overrides, or a new version of a rule set based on one of its versions. */
  target: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('override') }),
    z.object({ kind: z.literal('version'), ruleSetId: uuid, baseVersionId: uuid }),
  ]),
  /** Resolve the open and acknowledged alerts of the last N days the exception matches; null: leave them. */
  resolveDays: exceptionDays.nullable().default(null),
});

export const saveAlertExceptionOutput = z.object({
  saved: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('override'), ruleSetId: z.string(), environmentId: z.string() }),
    z.object({
      kind: z.literal('version'),
      ruleSetId: z.string(),
      versionId: z.string(),
      number: z.number().int(),
      file: z.string(),
    }),
  ]),
  yaml: z.string(),
  resolved: z.object({ updated: z.number().int(), unchanged: z.number().int() }).nullable(),
});
