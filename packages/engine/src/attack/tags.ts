import { ATTACK_TACTICS } from './catalogue.js';

/**
 * What one rule or alert tag says about ATT&CK. Falco rules name tactics as `mitre_<tactic>`
 * (`mitre_privilege_escalation`) and techniques by id (`T1611`, `T1003.001`); the upstream cloud
 * plugins' rules also write `TA0005-defense-evasion` and `T1562-impair-defenses`.
 */
export type AttackTag =
  | { kind: 'tactic'; tactic: string }
  /** `parent` is the technique a sub-technique belongs to (null for a technique). */
  | { kind: 'technique'; technique: string; parent: string | null };

const TACTIC_BY_SHORT_NAME = new Map(ATTACK_TACTICS.map((t) => [t.shortName, t.id]));
const TACTIC_IDS = new Set(ATTACK_TACTICS.map((t) => t.id));

/**
 * Tags upstream rules use that are neither form: `mitre_data_destruction` (falcosecurity/plugins'
 * GCP rules) is the Impact technique T1485, not a tactic.
 */
const ALIASES: ReadonlyMap<string, readonly AttackTag[]> = new Map([
  [
    'mitre_data_destruction',
    [
      { kind: 'tactic', tactic: 'TA0040' },
      { kind: 'technique', technique: 'T1485', parent: null },
    ],
  ],
]);

const TECHNIQUE = /^T(\d{4})(?:\.(\d{3}))?(?:-[\w.-]*)?$/i;
const TACTIC_ID = /^TA(\d{4})(?:-[\w.-]*)?$/i;

/** What a tag names in ATT&CK: nothing, tactics, techniques (possibly a tactic and a technique). */
export function attackOfTag(tag: string): readonly AttackTag[] {
  const alias = ALIASES.get(tag.toLowerCase());
  if (alias) return alias;
  const lower = tag.toLowerCase();
  if (lower.startsWith('mitre_')) {
    const tactic = TACTIC_BY_SHORT_NAME.get(lower.slice('mitre_'.length));
    return tactic ? [{ kind: 'tactic', tactic }] : [];
  }
  const tacticId = TACTIC_ID.exec(tag);
  if (tacticId) {
    const id = `TA${tacticId[1]}`;
    return TACTIC_IDS.has(id) ? [{ kind: 'tactic', tactic: id }] : [];
  }
  const technique = TECHNIQUE.exec(tag);
  if (technique) {
    const parent = `T${technique[1]}`;
    return technique[2]
      ? [{ kind: 'technique', technique: `${parent}.${technique[2]}`, parent }]
      : [{ kind: 'technique', technique: parent, parent: null }];
  }
  return [];
}

/** The ATT&CK tactics and techniques a set of tags names. */
export interface AttackTags {
  /** Tactic ids named by a tactic tag, in matrix order. */
  tactics: string[];
  /**
   * Technique ids named by a technique tag, each sub-technique also under its parent (an alert
   * tagged `T1003.001` counts for T1003 too), each once, sorted.
   */
  techniques: string[];
}

/** Maps rule or alert tags to ATT&CK (one place for the whole product: matrix, filters, counts). */
export function attackOfTags(tags: readonly string[]): AttackTags {
  const tactics = new Set<string>();
  const techniques = new Set<string>();
  for (const tag of tags) {
    for (const a of attackOfTag(tag)) {
      if (a.kind === 'tactic') tactics.add(a.tactic);
      else {
        techniques.add(a.technique);
        if (a.parent) techniques.add(a.parent);
      }
    }
  }
  return {
    tactics: ATTACK_TACTICS.filter((t) => tactics.has(t.id)).map((t) => t.id),
    techniques: [...techniques].sort(),
  };
}

/**
 * The tags among `tags` that put an alert under `id` (a tactic or technique id): what an alert
 * filter must look for to list exactly the alerts counted there (`T1003` is reached by `T1003`,
 * `T1003.001`, `T1003-os-credential-dumping`).
 */
export function tagsReaching(id: string, tags: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const tag of tags) {
    for (const a of attackOfTag(tag)) {
      if (a.kind === 'tactic' ? a.tactic === id : a.technique === id || a.parent === id) out.add(tag);
    }
  }
  return [...out].sort();
}
