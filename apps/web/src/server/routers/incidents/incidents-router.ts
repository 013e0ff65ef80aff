import { createTRPCRouter } from '../../trpc';
import { addIncidentNote } from './add-incident-note';
import { getIncident } from './get-incident';
import { listAlertIncidents } from './list-alert-incidents';
import { listIncidents } from './list-incidents';
import { mergeIncidents } from './merge-incidents';
import { splitIncident } from './split-incident';
import { updateIncident } from './update-incident';

/** Incidents: alerts grouped by shared entities, triaged, merged and split as one. */
export const incidentsRouter = createTRPCRouter({
  list: listIncidents,
  get: getIncident,
  ofAlert: listAlertIncidents,
  update: updateIncident,
  addNote: addIncidentNote,
  merge: mergeIncidents,
  split: splitIncident,
});
