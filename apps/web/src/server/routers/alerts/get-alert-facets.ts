import { getAlertFacets as getAlertFacetsService } from '../../services/alerts/get-alert-facets';
import { orgActorProcedure } from '../../trpc';
import { getAlertFacetsInput, getAlertFacetsOutput } from './get-alert-facets.schema';

/** Suggestions for the filter bar. */
export const getAlertFacets = orgActorProcedure('viewer')
  .input(getAlertFacetsInput)
  .output(getAlertFacetsOutput)
  .query(({ ctx, input }) =>
    getAlertFacetsService({ organizationId: ctx.org.id, environment: input.environment }),
  );
