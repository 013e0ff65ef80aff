import type { IncidentPolicy } from '@peregrine/db';
import {
  INCIDENT_COMMON_ENTITY_INCIDENTS,
  INCIDENT_LINK_THRESHOLD,
  INCIDENT_LINK_WEIGHTS,
  incidentScore,
  incidentTactics,
  parsePriority,
  principalAliases,
} from '@peregrine/engine';

/**
 * The engine's incident policy as the collector's correlator runs it (apps/collector
 * `incidentPolicy`), for tests that group stored alerts into incidents with the store's
 * `correlateQueuedAlerts`.
 */
export function incidentPolicy(windowMs: number): IncidentPolicy {
  return {
    windowMs,
    weights: INCIDENT_LINK_WEIGHTS,
    threshold: INCIDENT_LINK_THRESHOLD,
    commonIncidents: INCIDENT_COMMON_ENTITY_INCIDENTS,
    commonGroups: 25,
    principalAliases,
    scoring: {
      tactics: incidentTactics,
      score: (s) => incidentScore({ ...s, priority: parsePriority(s.priority) ?? 'Debug' }),
    },
  };
}
