import { getAlertDashboard as getAlertDashboardService } from '../../services/dashboard/get-alert-dashboard';
import { orgActorProcedure } from '../../trpc';
import { getAlertDashboardInput, getAlertDashboardOutput } from './get-alert-dashboard.schema';

/** Alerts over time by priority, top rules, sources, hosts and namespaces. */
export const getAlertDashboard = orgActorProcedure('viewer')
  .input(getAlertDashboardInput)
  .output(getAlertDashboardOutput)
  .query(({ ctx, input }) =>
    getAlertDashboardService({ organizationId: ctx.org.id, userId: ctx.actor.userId, filter: input.filter }),
  );
