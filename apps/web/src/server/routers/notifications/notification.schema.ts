import {
  DigestScheduleSchema,
  NotificationKindSchema,
  QuietHoursSchema,
  RouteFilterSchema,
  RouteOverridesSchema,
} from '@peregrine/protocol';
import { z } from 'zod';
import { isoDate } from '../alerts/alert-filter.schema';

/** A channel's name as typed. */
export const channelName = z.string().trim().min(1, 'Name the channel.').max(120);

/**
 * A channel's settings as the form sends them: the kind, its non-secret settings and its secrets
 * (checked against the kind's schemas by the service, which names the field at fault). On an
 * update, a secret left empty keeps the stored value.
 */
export const channelSettings = z.object({
  kind: NotificationKindSchema,
  config: z.record(z.string(), z.unknown()).default({}),
  secrets: z.record(z.string().max(64), z.string().max(4096)).default({}),
});
export type ChannelSettingsInput = z.output<typeof channelSettings>;

/** A channel as listed: settings and the names of the secrets set, never their values. */
export const channelItem = z.object({
  id: z.string(),
  kind: NotificationKindSchema,
  name: z.string(),
  enabled: z.boolean(),
  config: z.record(z.string(), z.unknown()),
  /** Null when the secrets cannot be read with the console's PEREGRINE_SECRET_KEY. */
  secretNames: z.array(z.string()).nullable(),
  createdAt: isoDate,
  updatedAt: isoDate,
});

/** A route's settings as the form sends them. */
export const routeSettings = z.object({
  name: z.string().trim().min(1, 'Name the route.').max(120),
  enabled: z.boolean().default(true),
  filter: RouteFilterSchema.default(RouteFilterSchema.parse({})),
  channelIds: z.array(z.uuid()).min(1, 'Choose at least one channel.').max(20),
  overrides: RouteOverridesSchema.default({}),
  /** At most one notification per alert group and channel per window (0: every alert). */
  throttleSeconds: z
    .number()
    .int()
    .min(0)
    .max(7 * 86_400)
    .default(300),
  continue: z.boolean().default(false),
  /** Digest mode: the route's alerts are sent as one summary per period (null: one by one). */
  digest: DigestScheduleSchema.nullable().default(null),
  /** Quiet hours: less severe alerts are held and sent as a digest when they end. */
  quietHours: QuietHoursSchema.nullable().default(null),
  /** Sends incidents (new, and escalated when the score rises a band of 10) instead of alerts. */
  sendIncidents: z.boolean().default(false),
});
export type RouteSettingsInput = z.output<typeof routeSettings>;

export const routeItem = routeSettings.extend({
  id: z.string(),
  position: z.number().int(),
  updatedAt: isoDate,
});

/** One delivery (outbox row) as the log lists it. */
export const deliveryItem = z.object({
  id: z.string(),
  channelId: z.string(),
  channelName: z.string().nullable(),
  channelKind: NotificationKindSchema.nullable(),
  action: z.string(),
  status: z.enum(['queued', 'sending', 'delivered', 'dead']),
  attempts: z.number().int(),
  count: z.number().int(),
  groupId: z.string().nullable(),
  rule: z.string().nullable(),
  routeId: z.string().nullable(),
  routeName: z.string().nullable(),
  lastError: z.string().nullable(),
  lastStatus: z.number().int().nullable(),
  nextAttemptAt: isoDate,
  createdAt: isoDate,
  deliveredAt: isoDate.nullable(),
});
