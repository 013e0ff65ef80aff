import { attackTechnique } from './catalogue.js';
import { attackOfTags } from './tags.js';

/** A rule as the matrix sees it: a name and its tags (the caller keeps only active, enabled ones). */
export interface AttackRule {
  name: string;
  tags: readonly string[];
}

/** Which rules cover which techniques and tactics. */
export interface AttackCoverage {
  /** Technique id -> names of the rules tagging it (or one of its sub-techniques), sorted. */
  techniques: Map<string, string[]>;
  /**
   * Tactic id -> rules that name the tactic but none of its techniques (no technique tag, or
   * only techniques of other tactics): they show under the tactic itself.
   */
  tacticOnly: Map<string, string[]>;
}

function push(map: Map<string, string[]>, key: string, name: string): void {
  const list = map.get(key);
  if (!list) map.set(key, [name]);
  else if (!list.includes(name)) list.push(name);
}

/** Maps rules to the ATT&CK techniques and tactics their tags name. */
export function attackCoverage(rules: Iterable<AttackRule>): AttackCoverage {
  const techniques = new Map<string, string[]>();
  const tacticOnly = new Map<string, string[]>();
  for (const rule of rules) {
    const attack = attackOfTags(rule.tags);
    for (const id of attack.techniques) push(techniques, id, rule.name);
    for (const tactic of attack.tactics) {
      const placed = attack.techniques.some((id) => attackTechnique(id)?.tactics.includes(tactic));
      if (!placed) push(tacticOnly, tactic, rule.name);
    }
  }
  for (const list of techniques.values()) list.sort();
  for (const list of tacticOnly.values()) list.sort();
  return { techniques, tacticOnly };
}
