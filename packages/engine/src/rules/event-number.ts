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

/**
 * `event` numbered `num` unless it carries a number already (a recorded sensor event's `num`, a
 * flat map's `evt.num`, an envelope's `num`): syscall events get `num`, flat maps `evt.num`, plugin
 * records an envelope (`{ num, payload }`, or their envelope gets `num`). Never mutates `event`.
 */
export function withEventNumber(event: unknown, source: string, num: number): unknown {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return event;
  const e = event as Record<string, unknown>;
  if (typeof e.num === 'number' || e['evt.num'] !== undefined) return event;
  if (isFlatMap(e)) return { ...e, 'evt.num': num };
  if (source === 'syscall') return { ...e, num };
  return numberedPluginEvent(e, num);
}

/**
 * `withEventNumber` for an event the caller owns (parsed for this evaluation alone, as
 * `peregrine replay` does line by line): the number is written into the object instead of a
 * copy, which saves a copy of every event. Same numbers as `withEventNumber`.
 */
export function numberOwnedEvent(event: unknown, source: string, num: number): unknown {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return event;
  const e = event as Record<string, unknown>;
  if (typeof e.num === 'number' || e['evt.num'] !== undefined) return event;
  if (isFlatMap(e)) {
    e['evt.num'] = num;
    return e;
  }
  if (source === 'syscall') {
    e.num = num;
    return e;
  }
  return numberedPluginEvent(e, num);
}
