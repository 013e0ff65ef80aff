import { createHash } from 'node:crypto';

/**
 * Output fields that differ on every occurrence of the same finding (time, counters, process and
 * fd numbers). Leaving them out of the dedup key groups repeated alerts of one rule about the same
 * thing (same process name, container, user, file...) together.
 */
const VOLATILE =
  /^(evt\.(time|rawtime|datetime|num|reltime|latency|deltatime)(\.|$)|(proc|thread)\.(pid|tid|vpid|vtid|ppid|pvpid)$|fd\.num$|proc\.apid\[)/;

/**
 * A field's value as hashed. 64-bit values arrive as bigint (the engine keeps them exact); they
 * hash as the digits a JS number printed before, so keys of existing groups stay the same.
 */
function valueText(value: unknown): string {
  if (typeof value === 'bigint') return value.toString();
  // Only arrays and objects can hold a bigint: anything else is its plain JSON (no replacer, which
  // costs a call back into JavaScript per value).
  if (typeof value !== 'object' || value === null) return JSON.stringify(value) ?? 'undefined';
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)) ?? 'undefined';
}

/**
 * Hash of the rule and its key output fields, stable regardless of key order. The text is hashed
 * in one `update` (the same digest as one `update` per part, for a fraction of the calls).
 */
export function dedupKeyOf(rule: string, outputFields: Record<string, unknown>): string {
  let text = rule;
  const keys = Object.keys(outputFields).sort();
  for (const k of keys) {
    if (VOLATILE.test(k)) continue;
    text += `\u0000${k}=${valueText(outputFields[k])}`;
  }
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}
