import 'server-only';
import type { IncidentScoring } from '@peregrine/db';
import { incidentScore, incidentTactics, parsePriority } from '@peregrine/engine';

/** The engine's incident scoring, as the store's merge and split take it (the correlator's too). */
export const incidentScoring: IncidentScoring = {
  tactics: incidentTactics,
  score: (s) => incidentScore({ ...s, priority: parsePriority(s.priority) ?? 'Debug' }),
};
