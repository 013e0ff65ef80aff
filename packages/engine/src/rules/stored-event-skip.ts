/**
 * Stored events no rule can match, told from their JSON without parsing it: a backtest lets the
 * database leave them out (it counts them as evaluated with no alert) instead of sending and
 * parsing every payload. Exact by construction: an event fitting the description has no
 * candidate rule in any of the sets (RuleSet.candidates is empty), so evaluating it would have
 * fired nothing, failed on nothing and read no field.
 */
import { ENVELOPE_KEYS } from '../sources/plugin/common.js';
import type { RuleSet } from './ruleset.js';

/**
 * Every part must hold for an event to be skipped. Paths walk object members from the top of
 * the stored event (the collector's `{ts, payload}` envelope).
 */
export interface StoredEventSkip {
  /** The event is a JSON object with no top-level key but these (so it is no flat map). */
  keys: readonly string[];
  /** Members of these JSON types (`ts` a string, `payload` an object: it is an envelope). */
  types: readonly { path: readonly string[]; type: 'string' | 'object' }[];
  /** Members that are JSON strings, none among its `notIn` (one per set with rules). */
  texts: readonly { path: readonly string[]; notIn: readonly string[] }[];
}

/**
 * The events of `source` stored in an envelope that no rule of `sets` can match, or undefined
 * when a set has rules of the source that no value index rules out (every event is evaluated).
 */
export function storedEventSkip(sets: readonly RuleSet[], source: string): StoredEventSkip | undefined {
  const texts: StoredEventSkip['texts'][number][] = [];
  for (const set of sets) {
    const t = set.ruledOutBy(source);
    if (t === undefined) return undefined;
    if (t !== null) texts.push({ path: ['payload', ...t.path], notIn: t.notIn });
  }
  return {
    keys: ENVELOPE_KEYS,
    types: [
      { path: ['ts'], type: 'string' },
      { path: ['payload'], type: 'object' },
    ],
    texts,
  };
}
