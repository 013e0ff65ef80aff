import { createHash } from 'node:crypto';

/**
 * Output fields that differ on every occurrence of the same finding (time, counters, process and
 * fd numbers). Leaving them out of the dedup key groups repeated alerts of one rule about the same
 * thing (same process name, container, user, file...) together.
 */
const VOLATILE =
  /^(evt\.(time|rawtime|datetime|num|reltime|latency|deltatime)(\.|$)|(proc|thread)\.(pid|tid|vpid|vtid|ppid|pvpid)$|fd\.num$|proc\.apid\[)/;

/** Hash of the rule and its key output fields, stable regardless of key order. */
export function dedupKeyOf(rule: string, outputFields: Record<string, unknown>): string {
  const h = createHash('sha256');
  h.update(rule);
  const keys = Object.keys(outputFields).sort();
  for (const k of keys) {
    if (VOLATILE.test(k)) continue;
    h.update('\u0000');
    h.update(k);
    h.update('=');
    h.update(JSON.stringify(outputFields[k]) ?? 'undefined');
  }
  return h.digest('hex').slice(0, 32);
}
