/**
 * Cloud events are handed to the engine in the plugin envelope `{ ts, payload, hostname? }`
 * (packages/engine/src/sources/plugin/common.ts): `ts` is the event time in epoch nanoseconds as
 * a decimal string, the same timestamp Falco's Go plugins set, and `payload` the JSON record.
 */
export interface PluginEvent {
  ts: string;
  payload: Record<string, unknown>;
  hostname?: string;
}

/** RFC 3339 text -> epoch nanoseconds as a decimal string: the engine's, which its sources time events with. */
export { rfc3339ToNs } from '@peregrine/engine';

/** Epoch ns (decimal string) -> Date (millisecond precision). */
export function nsToDate(ns: string): Date {
  return new Date(Number(BigInt(ns) / 1_000_000n));
}

/** Epoch milliseconds -> ns decimal string. */
export function msToNs(ms: number): string {
  return (BigInt(Math.trunc(ms)) * 1_000_000n).toString();
}

export function pluginEvent(payload: Record<string, unknown>, ts: string, hostname?: string): PluginEvent {
  return hostname ? { ts, payload, hostname } : { ts, payload };
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deepest nesting accepted in an event: real audit/CloudTrail/GitHub records stay far below. */
export const MAX_EVENT_DEPTH = 100;

/**
 * True when `value` nests objects/arrays deeper than `max` (checked iteratively). Deeper
 * documents would overflow the stack of recursive code downstream (serialisation, extraction),
 * so they are refused at the door as bad input.
 */
export function exceedsDepth(value: unknown, max = MAX_EVENT_DEPTH): boolean {
  // Levels count containers: `{}` is 1 deep, `{"a":[]}` 2.
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (typeof v !== 'object' || v === null) continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}
