import { listIncidents as listIncidentsService } from '../../services/incidents/list-incidents';
import { orgActorProcedure } from '../../trpc';
import { listIncidentsInput, listIncidentsOutput } from './list-incidents.schema';

/** One page of incidents, most recently active first (merged ones left out). */
export const listIncidents = orgActorProcedure('viewer')
  .input(listIncidentsInput)
  .output(listIncidentsOutput)
  .query(({ ctx, input }) => listIncidentsService({ organizationId: ctx.org.id, ...input }));
