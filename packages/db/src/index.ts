/** Peregrine's database access: the only package that imports the Prisma client. */
export { createDb, createPgPool, type Db, getDb } from './client.js';
export {
  DbError,
  type DbErrorCode,
  type DbFailureKind,
  dbFailureKind,
  dbFailureReason,
  isDatabaseUnavailable,
  retryWhileUnavailable,
} from './errors.js';
export type {
  ActivationAction,
  AlertStatus,
  IncidentStatus,
  BacktestStatus,
  NotificationStatus,
  OverrideKind,
  Priority,
  Role,
  SourceKind,
  VersionStatus,
} from './generated/prisma/enums.js';
export { type Actor, type ActorRef, type AuditEntry, actorRef, recordAudit } from './repos/audit.js';
export {
  completeFirstRunSetup,
  DEFAULT_ENVIRONMENTS,
  DEMO_ORGANIZATION_SLUG,
  type EnvironmentDto,
  ensureDefaultEnvironments,
  getMembershipRole,
  listEnvironments,
  listMemberships,
  type MembershipDto,
  needsFirstRunSetup,
  type OrganizationDto,
  slugify,
} from './repos/organizations.js';
export {
  activateVersion,
  createRuleSetVersion,
  type NewVersionInput,
  type RuleFileInput,
  type VersionDto,
} from './repos/rule-sets.js';
export {
  DEFAULT_RULE_SET,
  type DemoSeedInput,
  type DemoSeedResult,
  provisionOrganizationDefaults,
  seedDemo,
} from './repos/seed.js';
export {
  type AlertRetentionDto,
  type AlertRetentionRuleDto,
  alertWeekStart,
  getAlertRetention,
  listAlertPartitions,
  MAX_RETENTION_DAYS,
  setAlertRetention,
} from './repos/alert-retention.js';
export {
  checkQuota,
  getOrganizationUsage,
  type OrganizationUsage,
} from './repos/organization-quotas.js';
export { createOrganization, isAdminAnywhere } from './repos/web-organizations.js';
export {
  applySsoMembership,
  deleteSsoConfig,
  findSsoDomain,
  getSsoConfig,
  getSsoSignInConfig,
  isOrganizationMember,
  type SaveSsoConfigInput,
  type SsoConfigDto,
  type SsoMembershipChange,
  type SsoRoleMapping,
  type SsoSignInConfig,
  saveSsoConfig,
} from './repos/web-sso.js';
export {
  markOrganizationDeleting,
  purgeOrganization,
  resumeOrganizationPurges,
} from './repos/web-organization-deletion.js';
export { type DashboardBasics, getDashboardBasics } from './repos/web-dashboard.js';
export { pingDatabase } from './repos/web-health.js';
export { listOrganizationMembers, type OrganizationMember } from './repos/web-membership.js';
export {
  applyProxyMembership,
  ensureProxyUser,
  type ProxyUser,
  recordRefusedProxyHeader,
} from './repos/web-auth-proxy.js';
export {
  type EnvironmentGrantDto,
  type EnvironmentRef,
  environmentOf,
  environmentsOfAlerts,
  isInstanceAdmin,
  listEnvironmentGrants,
  listMemberEnvironmentGrants,
  organizationEnvironments,
  setEnvironmentGrant,
} from './repos/web-environment-grants.js';
export {
  deleteUserWithoutMemberships,
  checkSetupToken,
  hashSetupToken,
  issueSetupToken,
  SETUP_TOKEN_TTL_MS,
} from './repos/web-setup.js';
export {
  type CloudSourceDto,
  createCloudSource,
  findCloudSourceByTokenHash,
  getCloudSource,
  listEnabledCloudSources,
  type NewCloudSourceInput,
  recordCloudSourceActivity,
  saveCloudSourceCursor,
} from './repos/sources-ingest.js';
export {
  decryptSourceSecrets,
  encryptSourceSecrets,
  generateSourceToken,
  hashSourceToken,
  parseSecretKey,
  SOURCE_TOKEN_PREFIX,
  type SourceSecrets,
} from './repos/sources-secrets.js';
export {
  findSensorByKey,
  getSensorIdentity,
  getSensorStatus,
  hashSensorKey,
  type RegisteredSensor,
  recordSensorHeartbeat,
  registerSensor,
  revokeSensor,
  type SensorHeartbeatInput,
  type SensorIdentity,
  type SensorStatus,
} from './repos/collector-sensors.js';
export {
  type ActiveRuleSet,
  type EnvironmentRules,
  type ExceptionItemDto,
  getRulesStamps,
  listIngestingEnvironmentIds,
  loadEnvironmentRules,
  type OverrideDto,
  setEnvironmentOverride,
} from './repos/collector-rules.js';
export {
  type AlertInput,
  type AlertRowDto,
  type CollectorStore,
  type CollectorStoreOptions,
  type EntityInput,
  countRawEvents,
  createCollectorStore,
  getEnvironmentAlertStats,
  listEnvironmentAlerts,
  type RawEventInput,
  repairJsonText,
  type StoreBatchInput,
  type StoreBatchResult,
  type NotifyDigest,
  type NotifyTarget,
  type StoredAlert,
} from './repos/collector-store.js';
export {
  type ClaimedNotification,
  DIGEST_TOP_ALERTS,
  type DigestContent,
  createNotificationStore,
  NOTIFICATION_CHANNEL_KINDS,
  type NotificationChannelKind,
  type NotificationStore,
  type StoredRoute,
} from './repos/notification-delivery.js';
export {
  createNotificationChannel,
  createNotificationRoute,
  DELIVERY_ACTIONS,
  type DeliveryKind,
  deleteNotificationChannel,
  deleteNotificationRoute,
  listNotificationChannels,
  listNotificationDeliveries,
  listNotificationRoutes,
  moveNotificationRoute,
  type NotificationChannelDto,
  type NotificationDeliveryDto,
  type NotificationRouteDto,
  type NotificationRouteInput,
  queueResolveNotifications,
  queueTestNotification,
  retryNotificationDelivery,
  type ScheduleKinds,
  updateNotificationChannel,
  updateNotificationRoute,
} from './repos/web-admin-notifications.js';
export {
  parseJsonBigInt,
  parseJsonExact,
  stringifyJsonExact,
  stringifyRecordExact,
} from './repos/json-exact.js';
export {
  type BacktestCheckpoint,
  type BacktestCursor,
  type BacktestEnd,
  type BacktestPage,
  type BacktestPosition,
  type BacktestSampleInput,
  type BacktestStore,
  type ClaimedBacktestJob,
  createBacktestStore,
  type RawEventPage,
  type RawEventSkip,
  type StoredAlertEvent,
  type StoredRawEvent,
} from './repos/backtest-store.js';
/** The members of a raw event kept beside its payload for backtests (what ingest writes). */
export {
  RAW_EVENT_MEMBERS,
  RAW_EVENT_MEMBERS_VERSION,
  type RawEventMember,
  rawEventMembers,
  rawEventMembersSql,
} from './repos/raw-event-members.js';
export {
  type BacktestJobDto,
  type BacktestSampleDto,
  cancelBacktestJob,
  createBacktestJob,
  getBacktestJob,
  getLatestBacktestJob,
  listBacktestJobs,
  listBacktestSamples,
  type NewBacktestJob,
} from './repos/web-backtests.js';
export {
  consumeRateLimit,
  countRateLimit,
  type RateLimitDecision,
  resetRateLimit,
} from './repos/web-rate-limit.js';
export { type AuthEventAction, recordAuthEvent } from './repos/web-auth-events.js';
export {
  ALERT_PRIORITIES,
  ALERT_STATUSES,
  type AlertFilter,
  alertWhere,
  decodeAlertCursor,
  encodeAlertCursor,
  LINE_TIME_FIELDS,
} from './repos/web-alerts-filter.js';
export {
  type AlertListPage,
  type AlertListRow,
  countAlerts,
  getAlertFacets,
  getAlertsByIds,
  listAlerts,
} from './repos/web-alerts-list.js';
export {
  type AlertActivityDto,
  type AlertDetail,
  type AlertGroupSummary,
  type AlertNoteDto,
  type AlertRawEvent,
  getAlertDetail,
  getRelatedAlerts,
  type RelatedAlert,
  type RelatedAlerts,
} from './repos/web-alerts-detail.js';
export {
  addAlertNote,
  TRIAGE_BATCH_SIZE,
  type TriageChange,
  type TriageResult,
  type TriageTarget,
  triageAlerts,
} from './repos/web-alerts-triage.js';
export {
  type AlertGroupFilter,
  type AlertGroupRow,
  listAlertGroups,
  OPEN_COUNT_CAP,
} from './repos/web-alerts-groups.js';
/** A rule's alerts of an environment since a time, page by page (keyset), for exception previews. */
export { SCAN_PAGE_ROWS, type ScannedAlert, scanRuleAlerts } from './repos/web-alerts-scan.js';
/** Every alert matching a filter, page by page (keyset), for exports of any size. */
export { type AlertExportRow, EXPORT_PAGE_ROWS, exportAlerts } from './repos/web-alerts-export.js';
/** Alert counts per distinct tag array of an environment over a time range (the ATT&CK matrix). */
export { countAlertsByTagSet, type TagSetCount } from './repos/web-alerts-tag-sets.js';
export {
  type AlertDashboard,
  type DashboardBucket,
  type DashboardCount,
  getAlertDashboard,
} from './repos/web-alerts-dashboard.js';
export {
  createSavedView,
  deleteSavedView,
  listSavedViews,
  type SavedViewDto,
} from './repos/web-alerts-views.js';
export {
  createRuleSet,
  getRuleSet,
  getRuleSetVersion,
  listRuleSets,
  listRuleSetVersions,
  type RuleSetDto,
  type RuleSetListItem,
  type RuleSetVersionDetail,
  type RuleSetVersionListItem,
} from './repos/web-rules-sets.js';
export {
  getRuleSetGitCredentials,
  getRuleSetGitRemote,
  recordRuleSetGitSync,
  type RuleSetGitRemoteDto,
  saveRuleSetGitRemote,
} from './repos/web-rules-git.js';
export {
  type ActivationHistoryItem,
  type EnvironmentActivation,
  getOrganizationEnvironment,
  listActivationHistory,
  listEnvironmentActivations,
} from './repos/web-rules-activations.js';
export {
  deleteEnvironmentOverride,
  type EnvironmentOverrideRow,
  listEnvironmentOverrides,
  type OverrideKey,
  saveEnvironmentOverride,
} from './repos/web-rules-overrides.js';
export {
  acceptInvitation,
  changeMemberRole,
  createInvitation,
  findInvitationByTokenHash,
  type InvitationDto,
  type InvitationLookup,
  type InvitationStatus,
  listInvitations,
  normalizeEmail,
  leaveOrganization,
  removeMember,
  revokeInvitation,
} from './repos/web-admin-members.js';
export {
  API_KEY_PREFIX,
  type ApiKeyDto,
  type ApiKeyPrincipal,
  authenticateApiKey,
  createApiKey,
  hashApiKey,
  listApiKeys,
  revokeApiKey,
} from './repos/web-admin-api-keys.js';
export {
  type AuditActorDto,
  type AuditEntryDto,
  type AuditFacets,
  type AuditFilter,
  type AuditPage,
  decodeAuditCursor,
  encodeAuditCursor,
  getAuditFacets,
  listAuditEntries,
  recordAuditEntry,
} from './repos/web-admin-audit.js';
export {
  getOrganizationSensor,
  listOrganizationSensors,
  revokeOrganizationSensor,
  type SensorListItem,
} from './repos/web-admin-sensors.js';
export {
  completeSensorRecording,
  expireSensorRecordings,
  failSensorRecording,
  listSensorRecordings,
  openSensorRecordingDownload,
  type RecordingHeartbeat,
  type RecordingOrder,
  RecordingTooLargeError,
  requestSensorRecording,
  SENSOR_OFFLINE_AFTER_MS,
  type SensorRecordingItem,
  type SensorRecordingStatus,
  sensorRecordingHeartbeat,
  storeSensorRecordingChunk,
} from './repos/sensor-recordings.js';
export {
  auditCloudSourceCreated,
  type CloudSourceListItem,
  deleteOrganizationCloudSource,
  getOrganizationCloudSource,
  listOrganizationCloudSources,
  recordTestEvent,
  rotateCloudSourceToken,
  updateOrganizationCloudSource,
} from './repos/web-admin-sources.js';
export { SourceLeases } from './repos/sources-leases.js';
export {
  isApiKeyActive,
  parseRevocation,
  REVOCATION_CHANNEL,
  type Revocation,
  RevocationListener,
  type RevocationListenerOptions,
} from './repos/revocations.js';
/** Entities (what alerts and raw events name) and their activity, for the console. */
export {
  type EntityActivityItem,
  type EntityContextAlert,
  type EntityDto,
  entityIdOf,
  findEntity,
  getAlertEntities,
  getEntityActivity,
} from './repos/web-entities.js';

/** The incident correlator's pass over queued alerts (the collector runs it). */
export {
  type CorrelationResult,
  correlateQueuedAlerts,
  countQueuedForIncidents,
  type IncidentChange,
  type IncidentChangeHook,
  type IncidentPolicy,
  type IncidentScoring,
  incidentNotificationHook,
  type RouteAlertFilter,
} from './repos/incident-correlator.js';
/** Incidents for the console: list, detail with timeline, triage, notes, merge and split. */
export {
  addIncidentNote,
  getIncident,
  type IncidentActivityDto,
  type IncidentDetailDto,
  type IncidentEntityDto,
  type IncidentSummaryDto,
  type IncidentTimelineItemDto,
  incidentEnvironment,
  type AlertIncidentDto,
  countIncidentsByTagSet,
  listAlertIncidents,
  listIncidentPage,
  listIncidents,
  listIncidentTagsInRange,
  listIncidentsForRoute,
  mergeIncidents,
  type TagSetIncidentCount,
  type IncidentTagScope,
  splitIncident,
  updateIncident,
} from './repos/web-incidents.js';
