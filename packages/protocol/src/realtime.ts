import { z } from 'zod';

/**
 * The collector's socket.io stream to the console.
 *
 * Connect to the collector's origin (default path `/socket.io`) with `auth: { token }`, a token
 * from `signRealtimeToken` (the web app issues it). A bad or expired token fails the connection with
 * an error whose `message` is `unauthorized` and `data.code` one of `MALFORMED`, `BAD_SIGNATURE`,
 * `EXPIRED`. The socket joins one room per environment of the token (optionally narrowed with
 * `auth: { token, environmentIds }`) and is disconnected when the token expires: fetch a new token
 * and reconnect.
 */

/** Event names, server -> client. */
export const REALTIME_EVENTS = {
  /** New alerts committed for one environment (`AlertsNewPayloadSchema`). */
  alertsNew: 'alerts:new',
  /** Sent once after connecting: which environments this socket receives (`ReadyPayloadSchema`). */
  ready: 'ready',
} as const;

/** Socket.io room of an organisation's environment. */
export function environmentRoom(organizationId: string, environmentId: string): string {
  return `env:${organizationId}:${environmentId}`;
}

/** Falco priorities as stored (lowercase). */
export const RealtimePrioritySchema = z.enum([
  'emergency',
  'alert',
  'critical',
  'error',
  'warning',
  'notice',
  'informational',
  'debug',
]);

/** One alert as pushed live. */
export const RealtimeAlertSchema = z.object({
  /** Database id (bigint as a decimal string). */
  id: z.string(),
  groupId: z.string(),
  rule: z.string(),
  priority: RealtimePrioritySchema,
  source: z.string(),
  output: z.string(),
  outputFields: z.record(z.string(), z.unknown()),
  tags: z.array(z.string()),
  hostname: z.string().nullable(),
  /** When the event happened, ISO-8601. */
  eventTime: z.string(),
  /** When the collector committed it, ISO-8601. */
  createdAt: z.string(),
  /** When the collector received the producing event, epoch milliseconds. */
  receivedAt: z.number(),
  sensorId: z.string().nullable(),
  cloudSourceId: z.string().nullable(),
});

/** Payload of `alerts:new`. */
export const AlertsNewPayloadSchema = z.object({
  organizationId: z.string(),
  environmentId: z.string(),
  alerts: z.array(RealtimeAlertSchema),
});

/** Payload of `ready`. */
export const ReadyPayloadSchema = z.object({
  organizationId: z.string(),
  environmentIds: z.array(z.string()),
  /** Token expiry, seconds since the epoch. */
  exp: z.number(),
});

/** One alert pushed live. */
export type RealtimeAlert = z.infer<typeof RealtimeAlertSchema>;
/** Payload of `alerts:new`. */
export type AlertsNewPayload = z.infer<typeof AlertsNewPayloadSchema>;
/** Payload of `ready`. */
export type ReadyPayload = z.infer<typeof ReadyPayloadSchema>;
