/**
 * Falco's `evt.num`: the inspector numbers every event of a stream from 1. Peregrine's readers
 * (the collector per source, `peregrine replay`, rule tests, the editor's sample events) number
 * events through this one function, so rules such as upstream CloudTrail's `evt.num > 0` fire
 * wherever the event is read.
 */
import { numberedPluginEvent } from '../sources/plugin/common.js';

/** True for a flat map (`{"proc.name": "bash"}`): field names as keys, read key by key. */
function isFlatMap(e: Record<string, unknown>): boolean {
  for (const key in e) if (Object.hasOwn(e, key) && key.includes('.')) return true;
  return false;
}

/** Where a number goes: `evt.num` of a flat map, `num` of a syscall event, else null (a plugin record). */
function numberKey(e: Record<string, unknown>, source: string): 'evt.num' | 'num' | null {
  if (isFlatMap(e)) return 'evt.num';
  return source === 'syscall' ? 'num' : null;
}

/** The event as an object still to be numbered, or undefined (not an object, or numbered already). */
function unnumbered(event: unknown): Record<string, unknown> | undefined {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return undefined;
  const e = event as Record<string, unknown>;
  return typeof e.num === 'number' || e['evt.num'] !== undefined ? undefined : e;
}

/**
 * `event` numbered `num` unless it carries a number already (a recorded sensor event's `num`, a
 * flat map's `evt.num`, an envelope's `num`): syscall events get `num`, flat maps `evt.num`, plugin
 * records an envelope (`{ num, payload }`, or their envelope gets `num`). Never mutates `event`.
 */
export function withEventNumber(event: unknown, source: string, num: number): unknown {
  const e = unnumbered(event);
  if (!e) return event;
  const key = numberKey(e, source);
  return key ? { ...e, [key]: num } : numberedPluginEvent(e, num);
}

/**
 * `withEventNumber` for an event the caller owns (parsed for this evaluation alone, as
 * `peregrine replay` does line by line): the number is written into the object instead of a
 * copy, which saves a copy of every event. Same numbers as `withEventNumber`.
 */
export function numberOwnedEvent(event: unknown, source: string, num: number): unknown {
  const e = unnumbered(event);
  if (!e) return event;
  const key = numberKey(e, source);
  if (!key) return numberedPluginEvent(e, num);
  e[key] = num;
  return e;
}
