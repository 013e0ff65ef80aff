import { listAlertIncidents as listAlertIncidentsService } from '../../services/incidents/list-alert-incidents';
import { orgActorProcedure } from '../../trpc';
import { listAlertIncidentsInput, listAlertIncidentsOutput } from './list-alert-incidents.schema';

/** The incidents holding an alert (its page links them); empty before the correlator placed it. */
export const listAlertIncidents = orgActorProcedure('viewer')
  .input(listAlertIncidentsInput)
  .output(listAlertIncidentsOutput)
  .query(({ ctx, input }) =>
    listAlertIncidentsService({ organizationId: ctx.org.id, alertId: input.alertId }),
  );
