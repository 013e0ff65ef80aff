import { getAlertDashboard as getAlertDashboardService } from '../../services/dashboard/get-alert-dashboard';
import { orgProcedure } from '../../trpc';
import { getAlertDashboardInput, getAlertDashboardOutput } from './get-alert-dashboard.schema';

/** Alerts over time by priority, top rules, sources, hosts and namespaces. */
export const getAlertDashboard = orgProcedure('viewer')
  .input(getAlertDashboardInput)
  .output(getAlertDashboardOutput)
  .query(({ ctx, input }) =>
    getAlertDashboardService({ organizationId: ctx.org.id, userId: ctx.viewer.id, filter: input.filter }),
  );
