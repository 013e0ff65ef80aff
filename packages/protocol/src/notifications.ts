import { z } from 'zod';

/**
 * Notification channels and routes as stored and as the console edits them (issue 15). The
 * collector parses a channel's stored config and decrypted secrets with these before it sends
 * anything, so a bad row is a clear delivery error instead of a malformed request.
 */

export const NOTIFICATION_KINDS = [
  'webhook',
  'slack',
  'teams',
  'pagerduty',
  'opsgenie',
  'email',
  'falcosidekick',
] as const;
export const NotificationKindSchema = z.enum(NOTIFICATION_KINDS);
export type NotificationKind = z.infer<typeof NotificationKindSchema>;

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2048);
/** Header names as HTTP allows them (token characters); values without line breaks. */
const headers = z
  .record(
    z
      .string()
      .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'not a valid header name')
      .max(128),
    z
      .string()
      .regex(/^[^\r\n]*$/, 'header values cannot contain line breaks')
      .max(4096),
  )
  .refine((h) => Object.keys(h).length <= 20, 'at most 20 headers');
/** Falco-style `%field` templates; compiled by the engine (checked by whoever saves them). */
const template = z.string().max(4000).optional();
const email = z.email().max(320);

const common = { titleTemplate: template, textTemplate: template };

/** Non-secret settings per kind (returned to the console). */
export const ChannelConfigSchemas = {
  webhook: z.object({ url: httpUrl, headers: headers.default({}), ...common }),
  slack: z.object({
    /** Overrides the webhook's default channel (`#payments`), when the app allows it. */
    channel: z.string().max(80).optional(),
    username: z.string().max(80).optional(),
    ...common,
  }),
  teams: z.object({ ...common }),
  pagerduty: z.object({
    /** Events API v2 endpoint (default PagerDuty's; a regional or test endpoint otherwise). */
    url: httpUrl.default('https://events.pagerduty.com/v2/enqueue'),
    /** Fixed severity; by default it follows the alert's priority. */
    severity: z.enum(['critical', 'error', 'warning', 'info']).optional(),
    ...common,
  }),
  opsgenie: z.object({
    /** API base (default Opsgenie's US endpoint; `https://api.eu.opsgenie.com` in the EU). */
    url: httpUrl.default('https://api.opsgenie.com'),
    ...common,
  }),
  email: z.object({
    host: z.string().min(1).max(253),
    port: z.number().int().min(1).max(65535).default(587),
    /** `starttls` (required, port 587), `tls` (implicit, port 465), `none` (plain; test servers only). */
    security: z.enum(['starttls', 'tls', 'none']).default('starttls'),
    username: z.string().max(320).optional(),
    from: email,
    to: z.array(email).min(1).max(50),
    ...common,
  }),
  falcosidekick: z.object({ url: httpUrl, headers: headers.default({}) }),
} as const;

/** Secrets per kind (encrypted at rest, never returned to the console). */
export const ChannelSecretSchemas = {
  webhook: z.object({ hmacSecret: z.string().min(16).max(512).optional() }),
  slack: z.object({ webhookUrl: httpUrl }),
  teams: z.object({ webhookUrl: httpUrl }),
  pagerduty: z.object({ routingKey: z.string().min(1).max(128) }),
  opsgenie: z.object({ apiKey: z.string().min(1).max(256) }),
  email: z.object({ password: z.string().max(1024).optional() }),
  falcosidekick: z.object({}),
} as const;

export type ChannelConfig<K extends NotificationKind> = z.output<(typeof ChannelConfigSchemas)[K]>;
export type ChannelSecrets<K extends NotificationKind> = z.output<(typeof ChannelSecretSchemas)[K]>;

/** A route's per-channel-kind overrides. */
export const RouteOverridesSchema = z.object({
  slackChannel: z.string().max(80).optional(),
  emailTo: z.array(email).min(1).max(50).optional(),
  pagerdutySeverity: z.enum(['critical', 'error', 'warning', 'info']).optional(),
});
export type RouteOverrides = z.output<typeof RouteOverridesSchema>;

/** Falco priorities as stored and sent (lower case), most severe first. */
export const PRIORITY_NAMES = [
  'emergency',
  'alert',
  'critical',
  'error',
  'warning',
  'notice',
  'informational',
  'debug',
] as const;
const many = z.array(z.string().trim().min(1).max(256)).max(50).default([]);

/**
 * A route's filter: the alert list's filter model (environments by id, priority, rules, sources,
 * tags, hostnames, message text, output-field equalities); matched by the engine's `routeMatches`.
 */
export const RouteFilterSchema = z.object({
  environmentIds: z.array(z.uuid()).max(50).default([]),
  priority: z
    .object({ op: z.enum(['gte', 'eq']), value: z.enum(PRIORITY_NAMES) })
    .nullable()
    .default(null),
  rules: many,
  sources: many,
  tags: many,
  hostnames: many,
  text: z.string().trim().max(256).default(''),
  fields: z
    .array(z.object({ key: z.string().trim().min(1).max(128), value: z.string().max(1024) }))
    .max(10)
    .default([]),
});
export type RouteFilterValue = z.output<typeof RouteFilterSchema>;

/** Channel kinds that can carry a digest (a summary of many alerts in one message). */
export const DIGEST_KINDS = [
  'webhook',
  'slack',
  'teams',
  'email',
] as const satisfies readonly NotificationKind[];

/**
 * Why the other kinds cannot: an incident tool (PagerDuty, Opsgenie) dedups and pages per alert,
 * and falcosidekick expects Falco's one-alert-per-request body; a summary of many fits none.
 */
export const DIGEST_REFUSAL =
  'PagerDuty, Opsgenie and falcosidekick channels take one alert per message: a digest cannot use them.';

/**
 * Channel kinds quiet hours can hold alerts for: the digest kinds (one digest when the window
 * ends) and the incident tools, which cannot take a digest: they get one held incident per alert
 * group (its dedup key, with the count of alerts folded in) when the window ends.
 */
export const QUIET_HOURS_KINDS = [
  ...DIGEST_KINDS,
  'pagerduty',
  'opsgenie',
] as const satisfies readonly NotificationKind[];

/** Why falcosidekick cannot: it forwards every alert as Falco sends it, so holding would fold them. */
export const QUIET_HOURS_REFUSAL =
  'falcosidekick channels forward every alert as Falco sends it: quiet hours cannot hold them.';

/** True for an IANA time zone name this runtime knows (Europe/Berlin, UTC). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return name.length > 0;
  } catch {
    return false;
  }
}

const timeZone = z.string().trim().min(1).max(64).refine(isTimeZone, 'is not a known time zone');
/** A wall-clock time of day, 24-hour `HH:MM`. */
const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time HH:MM (00:00 to 23:59)');

/**
 * A route in digest mode: its alerts are collected and sent as one message per (route, channel,
 * period). `interval`: periods of `minutes` aligned to the Unix epoch (every 60: on the hour
 * UTC); `daily`: from one `at` in `timeZone` to the next (23 or 25 hours across a DST change).
 */
export const DigestScheduleSchema = z.discriminatedUnion('mode', [
  z.object({
    mode: z.literal('interval'),
    minutes: z
      .number()
      .int()
      .min(5, 'a digest period is at least 5 minutes')
      .max(7 * 24 * 60, 'a digest period is at most 7 days'),
  }),
  z.object({ mode: z.literal('daily'), at: clockTime, timeZone }),
]);
export type DigestSchedule = z.output<typeof DigestScheduleSchema>;

/**
 * A route's quiet hours, a weekly window in `timeZone`: from `start` to `end` (the next day when
 * `end` is not after `start`) on each day of `days` (0 Sunday ... 6 Saturday: the day the window
 * starts), plus all of Saturday and Sunday when `weekends`. Alerts less severe than
 * `passPriority` are held and sent when the window ends (one digest to a digest channel, one
 * incident per alert group to PagerDuty and Opsgenie); `passPriority` and more severe ones
 * still go at once.
 */
export const QuietHoursSchema = z
  .object({
    timeZone,
    start: clockTime,
    end: clockTime,
    days: z.array(z.number().int().min(0).max(6)).max(7).default([0, 1, 2, 3, 4, 5, 6]),
    weekends: z.boolean().default(false),
    passPriority: z.enum(PRIORITY_NAMES).default('critical'),
  })
  .refine((q) => q.days.length > 0 || q.weekends, {
    message: 'choose at least one day (or weekends)',
    path: ['days'],
  });
export type QuietHours = z.output<typeof QuietHoursSchema>;
