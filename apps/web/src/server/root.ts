import { getAttackMatrix } from './routers/attack/get-attack-matrix';
import { getDashboardOverview } from './routers/dashboard/get-dashboard-overview';
import { listEnvironments } from './routers/environment/list-environments';
import { createOrganization } from './routers/organization/create-organization';
import { leaveOrganization } from './routers/organization/leave-organization';
import { deleteOrganization } from './routers/organization/delete-organization';
import { getQuotas } from './routers/organization/get-quotas';
import { getRetention } from './routers/retention/get-retention';
import { setRetention } from './routers/retention/set-retention';
import { listMembers } from './routers/organization/list-members';
import { createFirstAdmin } from './routers/setup/create-first-admin';
import { getSetupStatus } from './routers/setup/get-setup-status';
import { getViewer } from './routers/viewer/get-viewer';
import { listOrganizations } from './routers/viewer/list-organizations';
import { addAlertNote } from './routers/alerts/add-alert-note';
import { countAlerts } from './routers/alerts/count-alerts';
import { getAlert } from './routers/alerts/get-alert';
import { getAlertContext } from './routers/entities/get-alert-context';
import { getEntityActivity } from './routers/entities/get-entity-activity';
import { getAlertFacets } from './routers/alerts/get-alert-facets';
import { issueRealtimeToken } from './routers/alerts/issue-realtime-token';
import { listAlertGroups } from './routers/alerts/list-alert-groups';
import { listAlerts } from './routers/alerts/list-alerts';
import { triageAlerts } from './routers/alerts/triage-alerts';
import { incidentsRouter } from './routers/incidents/incidents-router';
import { getAlertDashboard } from './routers/dashboard/get-alert-dashboard';
import { createSavedView } from './routers/views/create-saved-view';
import { deleteSavedView } from './routers/views/delete-saved-view';
import { listSavedViews } from './routers/views/list-saved-views';
import { rulesRouter } from './routers/rules/rules-router';
import { apiKeysRouter } from './routers/apiKeys/api-keys-router';
import { backtestsRouter } from './routers/backtests/backtests-router';
import { auditRouter } from './routers/audit/audit-router';
import { membersRouter } from './routers/members/members-router';
import { sensorsRouter } from './routers/sensors/sensors-router';
import { sourcesRouter } from './routers/sources/sources-router';
import { notificationsRouter } from './routers/notifications/notifications-router';
import { ssoRouter } from './routers/sso/sso-router';
import { createCallerFactory, createTRPCRouter } from './trpc';

/** The console's whole API. Add one line per procedure; each lives in its own file. */
export const appRouter = createTRPCRouter({
  setup: { getStatus: getSetupStatus, createFirstAdmin },
  viewer: { get: getViewer, listOrganizations },
  environment: { list: listEnvironments },
  organization: {
    listMembers,
    create: createOrganization,
    leave: leaveOrganization,
    delete: deleteOrganization,
    getQuotas,
  },
  retention: { get: getRetention, set: setRetention },
  dashboard: { getOverview: getDashboardOverview, getAlerts: getAlertDashboard },
  attack: { getMatrix: getAttackMatrix },
  alerts: {
    list: listAlerts,
    count: countAlerts,
    get: getAlert,
    triage: triageAlerts,
    addNote: addAlertNote,
    listGroups: listAlertGroups,
    facets: getAlertFacets,
    realtimeToken: issueRealtimeToken,
  },
  incidents: incidentsRouter,
  entities: { alertContext: getAlertContext, activity: getEntityActivity },
  views: { list: listSavedViews, create: createSavedView, delete: deleteSavedView },
  rules: rulesRouter,
  backtests: backtestsRouter,
  members: membersRouter,
  apiKeys: apiKeysRouter,
  audit: auditRouter,
  sensors: sensorsRouter,
  sources: sourcesRouter,
  notifications: notificationsRouter,
  sso: ssoRouter,
});

export type AppRouter = typeof appRouter;

/** Calls procedures in-process (server components, tests) with a given context. */
export const createCaller = createCallerFactory(appRouter);
