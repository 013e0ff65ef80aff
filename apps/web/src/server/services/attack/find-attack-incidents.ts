import 'server-only';
import { countIncidentsByTagSet, listIncidentTagsInRange } from '@peregrine/db';
import { attackOfTags, tagsReaching } from '@peregrine/engine';
import { db } from '../../db';
import { withDbErrors } from '../../errors/error-mapping';

interface AttackScope {
  organizationId: string;
  environmentId: string;
  from: Date;
  to: Date;
}

/*
 * An incident is under an ATT&CK technique or tactic over [from, to) when at least one of its
 * alerts in the range carries a tag naming it (through the engine's mapping, as the alert counts
 * do), not by the incident's time span. The matrix counts these incidents and the incident list's
 * ATT&CK filter lists them, so the two agree.
 */

/**
 * The tags of the environment's incident alerts that reach one technique or tactic id: the
 * incident list's ATT&CK filter lists the incidents with an alert in the range carrying one.
 */
export async function attackTagsInRange(scope: AttackScope, id: string): Promise<string[]> {
  return tagsReaching(id, await withDbErrors(() => listIncidentTagsInRange(db(), scope)));
}

/**
 * How many incidents are under each id, without listing them: the incidents are counted per set
 * of distinct tags of their alerts in the range (each incident once), and an id's count is the sum
 * over the sets whose tags name it. The engine's mapping is tag by tag (a set names what its tags
 * name, each once), so each distinct tag is mapped once: at 10M alerts the 30-day matrix has about
 * 15 000 sets of about 10 tags.
 */
export async function countAttackIncidents(scope: AttackScope): Promise<Map<string, number>> {
  const sets = await withDbErrors(() => countIncidentsByTagSet(db(), scope));
  const idsOfTag = new Map<string, readonly string[]>();
  const counts = new Map<string, number>();
  const named = new Set<string>();
  for (const set of sets) {
    named.clear();
    for (const tag of set.tags) {
      let ids = idsOfTag.get(tag);
      if (ids === undefined) {
        const attack = attackOfTags([tag]);
        ids = [...attack.tactics, ...attack.techniques];
        idsOfTag.set(tag, ids);
      }
      for (const id of ids) named.add(id);
    }
    for (const id of named) counts.set(id, (counts.get(id) ?? 0) + set.count);
  }
  return counts;
}
