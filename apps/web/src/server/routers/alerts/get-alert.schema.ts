import { z } from 'zod';
import { alertRowSchema, isoDate, prioritySchema, statusSchema } from './alert-filter.schema';

export const alertIdSchema = z.string().regex(/^\d{1,19}$/, 'Alert ids are numbers');

export const getAlertInput = z.object({ id: alertIdSchema });

const relatedSchema = z.object({
  id: z.string(),
  rule: z.string(),
  priority: prioritySchema,
  hostname: z.string().nullable(),
  output: z.string(),
  eventTime: isoDate,
  status: statusSchema,
});

export const getAlertOutput = z.object({
  alert: alertRowSchema.extend({
    environmentName: z.string(),
    environmentDisplayName: z.string(),
    sensorId: z.string().nullable(),
    cloudSourceId: z.string().nullable(),
    dedupKey: z.string(),
    group: z
      .object({ id: z.string(), count: z.number(), firstSeenAt: isoDate, lastSeenAt: isoDate })
      .nullable(),
    /** The stored raw event the alert came from (cloud sources), as received. */
    rawEvent: z
      .object({ id: z.string(), source: z.string(), eventTime: isoDate, payload: z.unknown() })
      .nullable(),
    notes: z.array(
      z.object({
        id: z.string(),
        body: z.string(),
        authorId: z.string().nullable(),
        /** Set when automation wrote the note with an API key; `authorName` is then the key's name. */
        authorApiKeyId: z.string().nullable(),
        authorName: z.string().nullable(),
        createdAt: isoDate,
      }),
    ),
    activities: z.array(
      z.object({
        id: z.string(),
        action: z.string(),
        actorId: z.string().nullable(),
        /** Set when automation acted with an API key; `actorName` is then the key's name. */
        actorApiKeyId: z.string().nullable(),
        actorName: z.string().nullable(),
        before: z.unknown(),
        after: z.unknown(),
        createdAt: isoDate,
      }),
    ),
  }),
  related: z.object({
    sameGroup: z.array(relatedSchema),
    sameHost: z.array(relatedSchema),
    sameRule: z.array(relatedSchema),
  }),
});
