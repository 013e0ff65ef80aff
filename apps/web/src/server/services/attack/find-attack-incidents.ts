import 'server-only';
import { listIncidentsByTagSet } from '@peregrine/db';
import { attackOfTags } from '@peregrine/engine';
import { db } from '../../db';
import { withDbErrors } from '../../errors/error-mapping';

/**
 * The incidents under each ATT&CK technique and tactic of one environment over [from, to): an
 * incident counts under an id when at least one of its alerts in the range carries a tag naming
 * it (through the engine's mapping, as the alert counts do) — not by the incident's time span.
 * The matrix counts these sets and the incident list's ATT&CK filter lists them, so the two agree.
 */
export async function findAttackIncidents(scope: {
  organizationId: string;
  environmentId: string;
  from: Date;
  to: Date;
}): Promise<Map<string, Set<string>>> {
  const sets = await withDbErrors(() => listIncidentsByTagSet(db(), scope));
  const byId = new Map<string, Set<string>>();
  for (const set of sets) {
    const attack = attackOfTags(set.tags);
    for (const id of [...attack.tactics, ...attack.techniques]) {
      const ids = byId.get(id) ?? new Set<string>();
      for (const incident of set.incidentIds) ids.add(incident);
      byId.set(id, ids);
    }
  }
  return byId;
}
