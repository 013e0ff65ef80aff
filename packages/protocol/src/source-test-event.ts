import { z } from 'zod';

/**
 * A source's test event (the console's "Send test event"): what the collector's
 * `POST /v1/sources/:sourceId/test-event` answers, read by the console. The collector builds a
 * sample for the source's kind, marked as a test, and sends it through that kind's own decoding
 * and the pipeline every real event takes (rules, store, live push).
 */

/** The tag every alert of a test event carries, so test alerts can be told apart and filtered. */
export const TEST_EVENT_TAG = 'peregrine_test_event';

export const SourceTestEventResultSchema = z.object({
  /** The cloud source's or sensor's id. */
  sourceId: z.string(),
  /** The source's kind (`k8s_audit`, `github`, `okta`, `aws_cloudtrail`, `falco`; `syscall` for a sensor). */
  kind: z.string(),
  /** What was sent, in a sentence. */
  description: z.string(),
  /** The default rule the sample is made to fire (for Falco, the alert itself). */
  expectedRule: z.string(),
  accepted: z.number().int(),
  duplicates: z.number().int(),
  rejected: z.number().int(),
  /** Alerts stored; empty while `queued` or `spooled` (they are stored a moment later). */
  alerts: z.array(z.object({ id: z.string(), rule: z.string(), priority: z.string() })),
  /** The database was unavailable: the event waits in the collector's spool. */
  spooled: z.boolean(),
  /** Scaled out: the event is on the work queue; its alerts follow. */
  queued: z.boolean(),
  /** Why no alert was raised, when none was and none is coming. */
  reason: z.string().nullable(),
});

export type SourceTestEventResult = z.infer<typeof SourceTestEventResultSchema>;
