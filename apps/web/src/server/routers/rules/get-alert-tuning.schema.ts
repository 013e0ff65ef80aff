import { z } from 'zod';
import { alertIdSchema } from '../alerts/get-alert.schema';
import { versionStatus } from './rules-common.schema';

export const getAlertTuningInput = z.object({ alertId: alertIdSchema });

const record = z.record(z.string(), z.unknown());

export const getAlertTuningOutput = z.object({
  alert: z.object({
    id: z.string(),
    rule: z.string(),
    priority: z.string(),
    source: z.string(),
    /** Falco's message: the output without its time and priority prefix. */
    message: z.string(),
    environmentId: z.string(),
    environmentName: z.string(),
    environmentDisplayName: z.string(),
    groupCount: z.number().int().nullable(),
  }),
  /** The stored raw event (cloud sources), and the output fields as a flat map of fields. */
  events: z.object({ raw: record.nullable(), fields: record }),
  ruleSets: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      active: z.object({ versionId: z.string(), number: z.number().int() }).nullable(),
      newest: z.object({ versionId: z.string(), number: z.number().int(), status: versionStatus }).nullable(),
      definesRule: z.boolean(),
    }),
  ),
  /** The rule set whose active version in the alert's environment defines the rule. */
  ruleSetId: z.string().nullable(),
  /** Falco's exception comparisons (`comps`), for the exception form. */
  comps: z.array(z.string()),
});
