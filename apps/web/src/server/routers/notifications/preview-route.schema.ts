import { z } from 'zod';
import { isoDate, prioritySchema } from '../alerts/alert-filter.schema';
import { incidentStatusSchema } from '../incidents/incident.schema';
import { routeSettings } from './notification.schema';

export const previewRouteInput = z.object({
  /** The route being edited (its place in the order); null for a new route (added last). */
  routeId: z.uuid().nullable().default(null),
  settings: routeSettings,
});

export const previewRouteOutput = z.object({
  /** What the route sends: alerts, or incidents (new ones with an alert its filter matches). */
  sends: z.enum(['alerts', 'incidents']),
  /** How far back the preview looked. */
  hours: z.number().int(),
  /**
   * Alerts of that time matching the route's filter (at most `limit`, newest first); for an
   * incident route, incidents opened then with an alert it matches.
   */
  matched: z.number().int(),
  /** Of those, alerts an earlier route would have taken first (it matches and does not continue). */
  takenEarlier: z.number().int(),
  /** Notifications the route would have sent, all its channels together. */
  notifications: z.number().int(),
  /**
   * Per channel: one per group and throttle window, a digest per period or quiet window, or for
   * PagerDuty/Opsgenie one held trigger per alert group of a quiet window.
   */
  channels: z.array(
    z.object({ channelId: z.string(), name: z.string(), kind: z.string(), notifications: z.number().int() }),
  ),
  /** True when more alerts matched than were looked at. */
  truncated: z.boolean(),
  samples: z.array(
    z.object({
      id: z.string(),
      rule: z.string(),
      priority: prioritySchema,
      hostname: z.string().nullable(),
      eventTime: isoDate,
      groupId: z.string().nullable(),
    }),
  ),
  /** An incident route's newest matching incidents (at most 10; empty for an alert route). */
  incidents: z.array(
    z.object({
      id: z.string(),
      title: z.string(),
      status: incidentStatusSchema,
      score: z.number().int(),
      alertCount: z.number().int(),
      createdAt: isoDate,
    }),
  ),
});
