import type { CompiledRule } from './compile.js';

/**
 * Falco's "Rule matches too many evt.type values" threshold (the default of `maxEventTypes`): a rule
 * indexed under more types than this names them by negation (`evt.type != open`), not by need.
 */
const MANY_EVENT_TYPES = 100;

/** What a capture must deliver for a set of syscall rules to be able to fire. */
export interface SyscallEventTypeNeeds {
  /** Event types (`evt.type` names) the rules restricted by evt.type can match, sorted. */
  named: string[];
  /**
   * Rules that match any event type: not restricted by evt.type, or restricted to more than
   * Falco's 100 types (by negation). They fire on whatever is captured and need nothing in particular.
   */
  unrestricted: string[];
}

/**
 * The syscall event types rules need, from their compiled event-type index (evttypes.ts): what a
 * sensor must trace (or ship) for them. Rules of other sources are ignored. Pass the rules that
 * will run (`RuleSet.activeRules`) for what an environment needs now, or every rule for what a
 * rules file could ever ask.
 */
export function syscallEventTypeNeeds(
  rules: Iterable<Pick<CompiledRule, 'name' | 'source' | 'eventTypes'>>,
): SyscallEventTypeNeeds {
  const named = new Set<string>();
  const unrestricted: string[] = [];
  for (const rule of rules) {
    if (rule.source !== 'syscall') continue;
    if (rule.eventTypes === undefined || rule.eventTypes.length > MANY_EVENT_TYPES) {
      unrestricted.push(rule.name);
      continue;
    }
    for (const type of rule.eventTypes) named.add(type);
  }
  return { named: [...named].sort(), unrestricted };
}
