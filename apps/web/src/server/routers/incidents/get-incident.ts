import { getIncident as getIncidentService } from '../../services/incidents/get-incident';
import { orgActorProcedure } from '../../trpc';
import { getIncidentInput, getIncidentOutput } from './get-incident.schema';

/** One incident: entities, timeline across sources, ATT&CK tactics and history. */
export const getIncident = orgActorProcedure('viewer')
  .input(getIncidentInput)
  .output(getIncidentOutput)
  .query(({ ctx, input }) => getIncidentService({ organizationId: ctx.org.id, id: input.id }));
