import { getDashboardOverview as getDashboardOverviewService } from '../../services/dashboard/get-dashboard-overview';
import { orgActorProcedure } from '../../trpc';
import { getDashboardOverviewInput, getDashboardOverviewOutput } from './get-dashboard-overview.schema';

/** Whether alerts, sensors and sources exist yet, for the dashboard's empty state. */
export const getDashboardOverview = orgActorProcedure('viewer')
  .input(getDashboardOverviewInput)
  .output(getDashboardOverviewOutput)
  .query(({ ctx, input }) =>
    getDashboardOverviewService({ organizationId: ctx.org.id, environmentName: input.environment }),
  );
