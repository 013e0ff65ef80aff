import { beforeAll, describe, expect, it } from 'vitest';
import { provisionTestDatabase } from '../../test/database';

const databaseUrl = await provisionTestDatabase();
// Sources encrypt their secrets and realtime tokens are signed with it.
process.env.PEREGRINE_SECRET_KEY = 'access-control-secret-0123456789abcdef';
process.env.PEREGRINE_COLLECTOR_URL = 'http://collector.test:2801/';
const { appRouter, createCaller } = await import('./root');
const { createCallerFactory, createTRPCContext, createTRPCRouter, orgProcedure } = await import('./trpc');
const { addMember, appCodeOf, contextFor, createOrganization, createUser } = await import(
  '../../test/fixtures'
);
const { createApiKey, getDb } = await import('@peregrine/db');
const { ORGANIZATION_COOKIE } = await import('@/lib/preferences');
type Role = import('./roles').Role;

/** Procedures anyone may call: first-run setup must work before any account exists. */
const PUBLIC_PROCEDURES = new Set([
  'setup.getStatus',
  'setup.createFirstAdmin',
  // An invitation link's token is its own credential (members/*.test.ts covers them).
  'members.getInvitation',
  'members.acceptInvitationWithSignUp',
]);
/** Procedures about the caller themself rather than one organisation (still need a session). */
const PERSONAL_PROCEDURES = new Set([
  'viewer.listOrganizations',
  'members.acceptInvitation',
  'organization.create',
  // The instance-level audit log belongs to no organisation (instance admins only).
  'audit.listInstance',
  'audit.instanceFacets',
]);

const procedurePaths = Object.keys(appRouter._def.procedures);

/** Calls `path` on a caller with no input: auth middlewares run before input parsing. */
function call(caller: ReturnType<typeof createCaller>, path: string): Promise<unknown> {
  const fn = path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], caller);
  return (fn as (input?: unknown) => Promise<unknown>)(undefined);
}

let orgA: Awaited<ReturnType<typeof createOrganization>>;
let orgB: Awaited<ReturnType<typeof createOrganization>>;
const users = {} as Record<
  'adminA' | 'viewerA' | 'triagerA' | 'authorA' | 'adminB' | 'loner',
  { id: string; name: string; email: string }
>;

beforeAll(async () => {
  orgA = await createOrganization('Org A');
  orgB = await createOrganization('Org B');
  users.adminA = await createUser('Admin A');
  users.authorA = await createUser('Author A');
  users.triagerA = await createUser('Triager A');
  users.viewerA = await createUser('Viewer A');
  users.adminB = await createUser('Admin B');
  users.loner = await createUser('Loner');
  await addMember(orgA.id, users.adminA.id, 'admin');
  await addMember(orgA.id, users.authorA.id, 'author');
  await addMember(orgA.id, users.triagerA.id, 'triager');
  await addMember(orgA.id, users.viewerA.id, 'viewer');
  await addMember(orgB.id, users.adminB.id, 'admin');
});

describe('every non-public procedure', () => {
  const guarded = procedurePaths.filter((path) => !PUBLIC_PROCEDURES.has(path));

  it('exists (the sweep below is not vacuous)', () => {
    expect(guarded.length).toBeGreaterThanOrEqual(4);
  });

  it.each(guarded)('%s denies anonymous callers', async (path) => {
    expect(await appCodeOf(call(createCaller(contextFor(null)), path))).toBe('UNAUTHENTICATED');
  });

  const orgScoped = guarded.filter((path) => !PERSONAL_PROCEDURES.has(path));

  it.each(orgScoped)('%s denies a signed-in user outside every organisation', async (path) => {
    expect(await appCodeOf(call(createCaller(contextFor(users.loner)), path))).toBe('NOT_A_MEMBER');
  });

  it.each(orgScoped)('%s denies a member of another organisation asking for org A', async (path) => {
    expect(await appCodeOf(call(createCaller(contextFor(users.adminB, orgA.id)), path))).toBe('NOT_A_MEMBER');
  });
});

describe('organisation scoping', () => {
  it("returns the caller's own organisation and environments", async () => {
    const caller = createCaller(contextFor(users.viewerA));
    expect((await caller.viewer.get()).organization.id).toBe(orgA.id);
    const environments = await caller.environment.list();
    expect(environments.map((e) => e.name)).toEqual(['staging', 'production']);
    const ids = new Set(environments.map((e) => e.id));
    const other = await createCaller(contextFor(users.adminB)).environment.list();
    expect(other.some((e) => ids.has(e.id))).toBe(false);
  });

  it('lists only the organisations the caller belongs to', async () => {
    expect(await createCaller(contextFor(users.loner)).viewer.listOrganizations()).toEqual([]);
    const orgs = await createCaller(contextFor(users.adminB, orgA.id)).viewer.listOrganizations();
    expect(orgs.map((o) => o.id)).toEqual([orgB.id]);
  });

  it("lists only the caller's organisation's members", async () => {
    const members = await createCaller(contextFor(users.adminB)).organization.listMembers();
    expect(members.map((m) => m.email)).toEqual([users.adminB.email]);
  });

  it('honours an explicitly requested organisation the caller belongs to', async () => {
    await addMember(orgB.id, users.viewerA.id, 'triager');
    const viewer = await createCaller(contextFor(users.viewerA, orgB.id)).viewer.get();
    expect(viewer).toMatchObject({ organization: { id: orgB.id }, role: 'triager' });
  });
});

describe('orgProcedure(role)', () => {
  // A router built from the real procedure factory: one endpoint per minimum role.
  const probe = createTRPCRouter({
    viewer: orgProcedure('viewer').query(({ ctx }) => ctx.role),
    triager: orgProcedure('triager').query(({ ctx }) => ctx.role),
    author: orgProcedure('author').query(({ ctx }) => ctx.role),
    admin: orgProcedure('admin').query(({ ctx }) => ctx.role),
  });
  const probeCaller = createCallerFactory(probe);
  const levels = ['viewer', 'triager', 'author', 'admin'] as const;
  const held = { viewerA: 0, triagerA: 1, authorA: 2, adminA: 3 } as const;

  for (const [name, rank] of Object.entries(held) as [keyof typeof held, number][]) {
    for (const [index, level] of levels.entries()) {
      const allowed = rank >= index;
      it(`${name} ${allowed ? 'may' : 'may not'} call a ${level} procedure`, async () => {
        const result = call(probeCaller(contextFor(users[name])) as never, level);
        if (allowed) await expect(result).resolves.toBe(levels[rank]);
        else expect(await appCodeOf(result)).toBe('INSUFFICIENT_ROLE');
      });
    }
  }
});

/**
 * What an API key needs to call each procedure: the minimum role, checked exactly as for members;
 * `session` for procedures that act as the signed-in person (no key may call them); `public` for
 * procedures anyone may call. Every procedure is listed, so a new one gets a deliberate decision.
 */
const ACCESS: Record<string, Role | 'session' | 'public'> = {
  'setup.getStatus': 'public',
  'setup.createFirstAdmin': 'public',
  'viewer.get': 'session',
  'viewer.listOrganizations': 'session',
  'environment.list': 'viewer',
  'organization.listMembers': 'viewer',
  // A new organisation belongs to the person who made it; who may is PEREGRINE_ORG_CREATION's call.
  'organization.create': 'session',
  // Leaving is a person's own choice in the organisation they act in.
  'organization.leave': 'session',
  // Deleting is an admin member's act, confirmed by typing the name (never a key: it revokes them
  // all); delete-organization.integration.test.ts checks the admin role.
  'organization.delete': 'session',
  'organization.getQuotas': 'viewer',
  'retention.get': 'viewer',
  'retention.set': 'admin',
  'dashboard.getOverview': 'viewer',
  'dashboard.getAlerts': 'viewer',
  // Coverage and counts of one environment: read like the dashboard.
  'attack.getMatrix': 'viewer',
  'alerts.list': 'viewer',
  'alerts.count': 'viewer',
  'alerts.get': 'viewer',
  'alerts.triage': 'triager',
  'alerts.addNote': 'triager',
  'alerts.listGroups': 'viewer',
  'alerts.facets': 'viewer',
  'alerts.realtimeToken': 'viewer',
  'entities.alertContext': 'viewer',
  'entities.activity': 'viewer',
  'incidents.list': 'viewer',
  'incidents.get': 'viewer',
  'incidents.ofAlert': 'viewer',
  'incidents.update': 'triager',
  'incidents.addNote': 'triager',
  'incidents.merge': 'triager',
  'incidents.split': 'triager',
  'views.list': 'viewer',
  // A saved view belongs to a person; keys may read shared views and (admin keys) delete them.
  'views.create': 'session',
  'views.delete': 'viewer',
  'rules.listRuleSets': 'viewer',
  'rules.createRuleSet': 'author',
  'rules.getRuleSet': 'viewer',
  'rules.getVersion': 'viewer',
  'rules.createVersion': 'author',
  'rules.activateVersion': 'admin',
  'rules.previewPromotion': 'viewer',
  'rules.compareVersionFiles': 'viewer',
  'rules.promoteVersion': 'admin',
  'rules.rollbackVersion': 'admin',
  'rules.getEnvironmentLayers': 'viewer',
  'rules.saveOverride': 'author',
  'rules.removeOverride': 'author',
  'rules.getAlertTuning': 'viewer',
  'rules.addRuleTest': 'author',
  'rules.previewAlertException': 'viewer',
  'rules.saveAlertException': 'author',
  'rules.exportVersion': 'viewer',
  'rules.importFiles': 'author',
  'rules.getGit': 'viewer',
  // Where the organisation's rules are published, with which credentials: an admin's choice.
  'rules.saveGit': 'admin',
  'rules.pushVersion': 'author',
  'rules.importBranch': 'author',
  'rules.getDefaultsUpdate': 'viewer',
  'rules.takeDefaultsUpdate': 'author',
  // Backtests change nothing live: authors (who write versions) run and stop them, anyone reads them.
  'backtests.start': 'author',
  'backtests.get': 'viewer',
  'backtests.latest': 'viewer',
  'backtests.list': 'viewer',
  'backtests.cancel': 'author',
  'backtests.listSamples': 'viewer',
  'members.changeRole': 'admin',
  // Per-environment roles and promoter grants (the environment grants sweep below).
  'members.listEnvironmentGrants': 'admin',
  'members.setEnvironmentGrant': 'admin',
  'members.remove': 'admin',
  'members.listInvitations': 'admin',
  'members.invite': 'admin',
  'members.revokeInvitation': 'admin',
  'members.getInvitation': 'public',
  'members.acceptInvitation': 'session',
  'members.acceptInvitationWithSignUp': 'public',
  'apiKeys.list': 'admin',
  'apiKeys.create': 'admin',
  'apiKeys.revoke': 'admin',
  'audit.list': 'admin',
  'audit.facets': 'admin',
  // Instance admins, signed in; no organisation's key reads what spans organisations.
  'audit.listInstance': 'session',
  'audit.instanceFacets': 'session',
  'sensors.list': 'viewer',
  'sensors.getCoverage': 'viewer',
  'sensors.register': 'admin',
  'sensors.revoke': 'admin',
  'sensors.sendTestEvent': 'admin',
  // Admins start a recording (it captures the whole host); every member may list and download.
  'sensors.listRecordings': 'viewer',
  'sensors.requestRecording': 'admin',
  'sources.list': 'viewer',
  'sources.create': 'admin',
  'sources.update': 'admin',
  'sources.rotateCredential': 'admin',
  'sources.delete': 'admin',
  'sources.sendTestEvent': 'admin',
  // Channels carry webhook URLs and recipients; routes decide who is woken at night: admins only.
  'notifications.listChannels': 'admin',
  'notifications.createChannel': 'admin',
  'notifications.updateChannel': 'admin',
  'notifications.deleteChannel': 'admin',
  'notifications.sendTest': 'admin',
  'notifications.listRoutes': 'admin',
  'notifications.createRoute': 'admin',
  'notifications.updateRoute': 'admin',
  'notifications.moveRoute': 'admin',
  'notifications.deleteRoute': 'admin',
  'notifications.previewRoute': 'admin',
  'notifications.listDeliveries': 'admin',
  'notifications.retryDelivery': 'admin',
  // How people sign in: admins, signed in; no API key may change or read it (SSO_ADMIN_ONLY below).
  'sso.get': 'session',
  'sso.save': 'session',
  'sso.delete': 'session',
};

/** Session-only procedures that also need the admin role (members below it are refused). */
const SSO_ADMIN_ONLY = ['sso.get', 'sso.save', 'sso.delete'];

const ROLE_ORDER: readonly Role[] = ['viewer', 'triager', 'author', 'admin'];
/** Outcomes that mean the caller was turned away before the procedure ran. */
const REFUSED = new Set(['UNAUTHENTICATED', 'NOT_A_MEMBER', 'INSUFFICIENT_ROLE']);

/** A caller built the way the HTTP handler builds it from `Authorization: Bearer` (and any cookie). */
async function bearerCaller(key: string, cookieOrgId?: string) {
  const headers = new Headers({ authorization: `Bearer ${key}` });
  if (cookieOrgId) headers.set('cookie', `${ORGANIZATION_COOKIE}=${cookieOrgId}`);
  return createCaller(await createTRPCContext({ headers }));
}

describe('the access table', () => {
  it('names every procedure exactly once', () => {
    expect(Object.keys(ACCESS).sort()).toEqual([...procedurePaths].sort());
    expect([...PUBLIC_PROCEDURES].every((p) => ACCESS[p] === 'public')).toBe(true);
  });
});

describe('SSO settings', () => {
  it('are listed with every sso procedure', () => {
    expect(procedurePaths.filter((p) => p.startsWith('sso.')).sort()).toEqual([...SSO_ADMIN_ONLY].sort());
  });

  it.each(SSO_ADMIN_ONLY)('%s refuses members below admin and lets admins through', async (path) => {
    for (const user of [users.viewerA, users.triagerA, users.authorA]) {
      expect(await appCodeOf(call(createCaller(contextFor(user)), path)), user.name).toBe(
        'INSUFFICIENT_ROLE',
      );
    }
    expect(REFUSED.has(await appCodeOf(call(createCaller(contextFor(users.adminA)), path)))).toBe(false);
  });
});

describe('API keys on every procedure', () => {
  let keyOrg: Awaited<ReturnType<typeof createOrganization>>;
  const keys = {} as Record<Role | 'revoked', string>;
  const members = {} as Record<Role, { id: string; name: string; email: string }>;

  beforeAll(async () => {
    keyOrg = await createOrganization('Key Sweep');
    const db = getDb(databaseUrl);
    for (const role of ROLE_ORDER) {
      keys[role] = (
        await createApiKey(
          db,
          { organizationId: keyOrg.id, name: `sweep ${role}`, role, createdById: null },
          {},
        )
      ).key;
      members[role] = await createUser(`Sweep ${role}`);
      await addMember(keyOrg.id, members[role].id, role);
    }
    const revoked = await createApiKey(
      db,
      { organizationId: keyOrg.id, name: 'sweep revoked', role: 'admin', createdById: null },
      {},
    );
    await db.prisma.apiKey.update({ where: { id: revoked.apiKey.id }, data: { revokedAt: new Date() } });
    keys.revoked = revoked.key;
  });

  const guarded = procedurePaths.filter((path) => ACCESS[path] !== 'public');

  it.each(guarded)('%s refuses an unknown or revoked key', async (path) => {
    expect(await appCodeOf(call(await bearerCaller('pgk_unknown-key'), path))).toBe('UNAUTHENTICATED');
    expect(await appCodeOf(call(await bearerCaller(keys.revoked), path))).toBe('UNAUTHENTICATED');
  });

  const sessionOnly = procedurePaths.filter((path) => ACCESS[path] === 'session');

  it.each(sessionOnly)('%s refuses every key, even an admin one', async (path) => {
    for (const role of ROLE_ORDER) {
      expect(await appCodeOf(call(await bearerCaller(keys[role]), path))).toBe('INSUFFICIENT_ROLE');
    }
  });

  const byRole = procedurePaths.filter((path) => ROLE_ORDER.includes(ACCESS[path] as Role));

  it('covers the alerts, dashboard and rules procedures', () => {
    for (const prefix of ['alerts.', 'dashboard.', 'rules.', 'backtests.']) {
      const family = procedurePaths.filter((p) => p.startsWith(prefix));
      expect(family.length).toBeGreaterThan(0);
      expect(family.filter((p) => !byRole.includes(p))).toEqual([]);
    }
  });

  it.each(byRole)("%s checks a key's role exactly as a member's", async (path) => {
    const needed = ROLE_ORDER.indexOf(ACCESS[path] as Role);
    for (const [rank, role] of ROLE_ORDER.entries()) {
      // No input: the role check runs before input parsing, so an allowed call fails on input (or succeeds).
      const asKey = await appCodeOf(call(await bearerCaller(keys[role]), path));
      const asMember = await appCodeOf(call(createCaller(contextFor(members[role], keyOrg.id)), path));
      if (rank < needed) {
        expect(asKey, `${role} key`).toBe('INSUFFICIENT_ROLE');
        expect(asMember, `${role} member`).toBe('INSUFFICIENT_ROLE');
      } else {
        expect(REFUSED.has(asKey), `${role} key got ${asKey}`).toBe(false);
        expect(REFUSED.has(asMember), `${role} member got ${asMember}`).toBe(false);
      }
    }
  });
});

describe("another organisation's API key", () => {
  // Org A's objects, which org B's admin key names in its inputs.
  let a: Awaited<ReturnType<typeof createOrganization>>;
  let b: Awaited<ReturnType<typeof createOrganization>>;
  let bKey: string;
  let bKeyId: string;
  const ids = {} as Record<
    | 'staging'
    | 'production'
    | 'alert'
    | 'group'
    | 'ruleSet'
    | 'v1'
    | 'v2'
    | 'sensor'
    | 'source'
    | 'apiKey'
    | 'invitation'
    | 'view'
    | 'backtest'
    | 'channel'
    | 'route'
    | 'delivery'
    | 'incident'
    | 'admin'
    | 'viewer'
    | 'recording',
    string
  >;
  let probes: Record<string, unknown>;

  beforeAll(async () => {
    a = await createOrganization('Victim Org');
    b = await createOrganization('Intruder Org');
    const db = getDb(databaseUrl);
    const adminA = await createUser('Victim Admin');
    const viewerA = await createUser('Victim Viewer');
    await addMember(a.id, adminA.id, 'admin');
    await addMember(a.id, viewerA.id, 'viewer');
    ids.admin = adminA.id;
    ids.viewer = viewerA.id;
    const caller = createCaller(contextFor(adminA, a.id));
    const envs = await caller.environment.list();
    ids.staging = envs.find((e) => e.name === 'staging')?.id as string;
    ids.production = envs.find((e) => e.name === 'production')?.id as string;
    const group = await db.prisma.alertGroup.create({
      data: {
        organizationId: a.id,
        environmentId: ids.production,
        dedupKey: 'victim',
        rule: 'Victim rule',
        priority: 'critical',
        source: 'syscall',
        count: 1,
        firstSeenAt: new Date(),
        lastSeenAt: new Date(),
        lastOutput: 'victim output',
      },
    });
    ids.group = group.id;
    const alert = await db.prisma.alert.create({
      data: {
        // Far from the sequence, so the id cannot be mistaken for a count or another row's id.
        id: 987_654_321_012n,
        organizationId: a.id,
        environmentId: ids.production,
        rule: 'Victim rule',
        priority: 'critical',
        source: 'syscall',
        output: 'victim output',
        tags: ['victim'],
        hostname: 'victim-host',
        eventTime: new Date(),
        dedupKey: 'victim',
        groupId: group.id,
      },
    });
    ids.alert = alert.id.toString();
    ids.incident = (await createIncident(db, a.id, ids.production, [alert])).id;
    const created = await caller.rules.createRuleSet({ name: 'Victim rules' });
    ids.ruleSet = created.ruleSet.id;
    ids.v1 = created.version.id;
    await caller.rules.activateVersion({ versionId: ids.v1, environmentId: ids.staging, comment: '' });
    const files = (await caller.rules.getVersion({ versionId: ids.v1 })).files;
    ids.v2 = (await caller.rules.createVersion({ ruleSetId: ids.ruleSet, files, message: 'second' })).id;
    await caller.rules.activateVersion({ versionId: ids.v2, environmentId: ids.staging, comment: '' });
    await caller.rules.saveOverride({
      ruleSetId: ids.ruleSet,
      environmentId: ids.staging,
      change: { kind: 'list', name: 'interactive_shells', items: ['bash'] },
    });
    ids.backtest = (
      await caller.backtests.start({
        versionId: ids.v2,
        environmentId: ids.staging,
        sources: [],
        from: '2026-12-01T00:00:00Z',
        to: '2026-12-02T00:00:00Z',
      })
    ).id;
    ids.sensor = (
      await caller.sensors.register({ environmentId: ids.staging, name: 'victim-node' })
    ).sensorId;
    // A ready recording of org A's sensor (as the collector stores an upload).
    ids.recording = (
      await db.prisma.sensorRecording.create({
        data: {
          organizationId: a.id,
          sensorId: ids.sensor,
          seconds: 10,
          maxBytes: 1024,
          status: 'ready',
          bytes: 5n,
          sha256: 'victim',
          chunks: { create: { offset: 0n, data: Buffer.from('scap!') } },
        },
      })
    ).id;
    ids.source = (
      await caller.sources.create({
        environmentId: ids.staging,
        name: 'Victim Falco',
        settings: { kind: 'falco', config: {} },
      })
    ).source.id;
    ids.apiKey = (
      await caller.apiKeys.create({ name: 'Victim key', role: 'admin', expiresInDays: null })
    ).apiKey.id;
    ids.channel = (
      await caller.notifications.createChannel({
        name: 'Victim hook',
        settings: { kind: 'webhook', config: { url: 'https://hooks.example.com/victim' } },
      })
    ).id;
    ids.route = (
      await caller.notifications.createRoute({ name: 'Victim route', channelIds: [ids.channel] })
    ).id;
    ids.delivery = (await caller.notifications.sendTest({ channelId: ids.channel })).deliveryId;
    ids.invitation = (
      await caller.members.invite({ email: 'victim-invitee@example.test', role: 'viewer' })
    ).invitation.id;
    ids.view = (
      await caller.views.create({ name: 'Victim view', query: { status: 'open' }, shared: true })
    ).id;

    const key = await createApiKey(
      db,
      { organizationId: b.id, name: 'Intruder', role: 'admin', createdById: null },
      {},
    );
    bKey = key.key;
    bKeyId = key.apiKey.id;

    const groupFilter = { group: ids.group };
    probes = {
      'environment.list': undefined,
      'organization.listMembers': undefined,
      'organization.getQuotas': undefined,
      'retention.get': undefined,
      // Org A's environment in a rule.
      'retention.set': {
        rules: [{ environmentId: ids.production, priority: null, days: 1 }],
        storageLimitBytes: null,
      },
      'dashboard.getOverview': { environment: null },
      'dashboard.getAlerts': { filter: { range: '24h' } },
      'attack.getMatrix': { environmentId: ids.production, range: '24h' },
      'alerts.list': { filter: {} },
      'alerts.count': { filter: groupFilter },
      'alerts.get': { id: ids.alert },
      'alerts.triage': { target: { ids: [ids.alert] }, status: 'resolved' },
      'alerts.addNote': { alertId: ids.alert, body: 'intruder' },
      'alerts.listGroups': { filter: {} },
      'alerts.facets': { environment: null },
      'alerts.realtimeToken': { environment: null },
      'entities.alertContext': { id: ids.alert },
      'entities.activity': { environmentId: ids.production, kind: 'host', value: 'victim-host' },
      'incidents.list': {},
      'incidents.get': { id: ids.incident },
      'incidents.ofAlert': { alertId: ids.alert },
      'incidents.update': { id: ids.incident, status: 'resolved' },
      'incidents.addNote': { id: ids.incident, body: 'intruder' },
      'incidents.merge': { targetId: ids.incident, sourceIds: [ids.incident] },
      'incidents.split': { id: ids.incident, alertIds: [ids.alert] },
      'views.list': undefined,
      'views.delete': { id: ids.view },
      'rules.listRuleSets': undefined,
      'rules.createRuleSet': { name: 'Victim rules' },
      'rules.getRuleSet': { ruleSetId: ids.ruleSet },
      'rules.getVersion': { versionId: ids.v1 },
      'rules.createVersion': {
        ruleSetId: ids.ruleSet,
        files: [{ name: 'x.yaml', content: '' }],
        message: 'x',
      },
      'rules.activateVersion': { versionId: ids.v1, environmentId: ids.production, comment: '' },
      'rules.previewPromotion': {
        versionId: ids.v2,
        environmentId: ids.production,
        fromEnvironmentId: ids.staging,
      },
      'rules.compareVersionFiles': { versionId: ids.v2, environmentId: ids.staging },
      'rules.promoteVersion': {
        versionId: ids.v2,
        fromEnvironmentId: ids.staging,
        toEnvironmentId: ids.production,
        comment: '',
      },
      'rules.rollbackVersion': { versionId: ids.v1, environmentId: ids.staging, comment: '' },
      'rules.getEnvironmentLayers': { ruleSetId: ids.ruleSet, environmentId: ids.staging },
      'rules.saveOverride': {
        ruleSetId: ids.ruleSet,
        environmentId: ids.staging,
        change: { kind: 'list', name: 'interactive_shells', items: ['intruder'] },
      },
      'rules.removeOverride': {
        ruleSetId: ids.ruleSet,
        environmentId: ids.staging,
        kind: 'list',
        name: 'interactive_shells',
      },
      'rules.getAlertTuning': { alertId: ids.alert },
      'rules.addRuleTest': {
        ruleSetId: ids.ruleSet,
        baseVersionId: ids.v1,
        test: { name: 'intruder', source: 'syscall', event: { 'proc.name': 'x' }, expect: [] },
      },
      'rules.previewAlertException': {
        alertId: ids.alert,
        name: 'intruder',
        items: [{ field: 'proc.name', comp: '=', value: 'x' }],
      },
      'rules.saveAlertException': {
        alertId: ids.alert,
        name: 'intruder',
        items: [{ field: 'proc.name', comp: '=', value: 'x' }],
        target: { kind: 'version', ruleSetId: ids.ruleSet, baseVersionId: ids.v1 },
        resolveDays: 7,
      },
      'rules.exportVersion': { versionId: ids.v1, format: 'zip' },
      'rules.importFiles': {
        ruleSetId: ids.ruleSet,
        message: 'intruder',
        upload: { kind: 'folder', name: 'x', files: [{ path: 'x.yaml', content: '[]' }] },
      },
      'rules.getGit': { ruleSetId: ids.ruleSet },
      'rules.saveGit': {
        ruleSetId: ids.ruleSet,
        url: 'https://git.example.com/intruder.git',
        branch: 'main',
      },
      'rules.pushVersion': { ruleSetId: ids.ruleSet, versionId: ids.v1 },
      'rules.importBranch': { ruleSetId: ids.ruleSet },
      'rules.getDefaultsUpdate': { ruleSetId: ids.ruleSet },
      'rules.takeDefaultsUpdate': { ruleSetId: ids.ruleSet, basedOnVersionId: ids.v1 },
      'backtests.start': {
        versionId: ids.v2,
        environmentId: ids.production,
        sources: [],
        from: '2026-12-01T00:00:00Z',
        to: '2026-12-02T00:00:00Z',
      },
      'backtests.get': { id: ids.backtest },
      'backtests.latest': { versionId: ids.v2, environmentId: ids.staging },
      'backtests.list': { ruleSetId: ids.ruleSet },
      'backtests.cancel': { id: ids.backtest },
      'backtests.listSamples': { id: ids.backtest },
      'members.changeRole': { userId: ids.viewer, role: 'admin' },
      'members.listEnvironmentGrants': undefined,
      'members.setEnvironmentGrant': {
        userId: ids.viewer,
        environmentId: ids.production,
        role: 'admin',
        promoter: true,
      },
      'members.remove': { userId: ids.viewer },
      'members.listInvitations': undefined,
      'members.invite': { email: 'victim-invitee@example.test', role: 'admin' },
      'members.revokeInvitation': { invitationId: ids.invitation },
      'apiKeys.list': undefined,
      'apiKeys.create': { name: 'Victim key', role: 'admin', expiresInDays: null },
      'apiKeys.revoke': { apiKeyId: ids.apiKey },
      'audit.list': { filter: {} },
      'audit.facets': undefined,
      'sensors.list': { environmentId: ids.staging },
      'sensors.getCoverage': { environment: null },
      'sensors.register': { environmentId: ids.staging, name: 'intruder-node' },
      'sensors.revoke': { sensorId: ids.sensor },
      'sensors.sendTestEvent': { sensorId: ids.sensor },
      'sensors.listRecordings': { sensorId: ids.sensor },
      'sensors.requestRecording': { sensorId: ids.sensor, seconds: 10 },
      'sources.list': undefined,
      'sources.create': {
        environmentId: ids.staging,
        name: 'Intruder',
        settings: { kind: 'falco', config: {} },
      },
      'sources.update': { sourceId: ids.source, enabled: false },
      'sources.rotateCredential': { sourceId: ids.source },
      'sources.delete': { sourceId: ids.source },
      'sources.sendTestEvent': { sourceId: ids.source },
      'notifications.listChannels': undefined,
      'notifications.createChannel': {
        name: 'Intruder hook',
        settings: { kind: 'webhook', config: { url: 'https://hooks.example.com/intruder' } },
      },
      'notifications.updateChannel': { channelId: ids.channel, enabled: false },
      'notifications.deleteChannel': { channelId: ids.channel },
      'notifications.sendTest': { channelId: ids.channel },
      'notifications.listRoutes': undefined,
      // Org A's channel in org B's route.
      'notifications.createRoute': { name: 'Intruder route', channelIds: [ids.channel] },
      'notifications.updateRoute': {
        routeId: ids.route,
        settings: { name: 'Intruder', channelIds: [ids.channel] },
      },
      'notifications.moveRoute': { routeId: ids.route, direction: 'down' },
      'notifications.deleteRoute': { routeId: ids.route },
      // Org A's environment, or org A's route as the place in the order.
      'notifications.previewRoute': {
        settings: { name: 'x', channelIds: [ids.channel], filter: { environmentIds: [ids.production] } },
      },
      'notifications.listDeliveries': undefined,
      'notifications.retryDelivery': { deliveryId: ids.delivery },
    };
  });

  const keyed = procedurePaths.filter((path) => ROLE_ORDER.includes(ACCESS[path] as Role));

  it('has a probe naming org A objects for every procedure a key may call', () => {
    expect(Object.keys(probes).sort()).toEqual([...keyed].sort());
  });

  it.each(keyed)('%s neither reaches nor reveals org A, even with org A in the cookie', async (path) => {
    const caller = await bearerCaller(bKey, a.id);
    const fn = path.split('.').reduce<unknown>((node, k) => (node as Record<string, unknown>)[k], caller) as (
      i: unknown,
    ) => Promise<unknown>;
    let result: unknown;
    try {
      result = await fn(probes[path]);
    } catch (error) {
      const code = (error as { cause?: { code?: string } }).cause?.code;
      expect(['NOT_FOUND', 'INVALID_INPUT']).toContain(code);
      return;
    }
    // Answered: about org B only. No id of org A (organisation, environments, alerts, rules,
    // sensors, sources, keys, invitations, views, members) may appear in it.
    const text = JSON.stringify(result);
    for (const [name, id] of Object.entries({ org: a.id, ...ids })) {
      expect(text.includes(JSON.stringify(id)), `${path} revealed org A's ${name}`).toBe(false);
    }
  });

  it("downloads a recording for org A's members only (the download route's procedure)", async () => {
    const { createRecordingDownloadCaller } = await import('./routers/sensors/download-sensor-recording');
    const download = async (ctx: Parameters<typeof createRecordingDownloadCaller>[0]) =>
      createRecordingDownloadCaller(ctx).downloadSensorRecording({ recordingId: ids.recording });
    expect(await appCodeOf(download(contextFor(null)))).toBe('UNAUTHENTICATED');
    expect(await appCodeOf(download(contextFor(users.loner)))).toBe('NOT_A_MEMBER');
    expect(await appCodeOf(download(contextFor(users.adminB, a.id)))).toBe('NOT_A_MEMBER');
    const intruder = await createTRPCContext({
      headers: new Headers({ authorization: `Bearer ${bKey}`, cookie: `${ORGANIZATION_COOKIE}=${a.id}` }),
    });
    expect(await appCodeOf(download(intruder))).toBe('NOT_FOUND');
    // A viewer of org A reads the stored bytes.
    const viewer = { id: ids.viewer, name: 'Victim Viewer', email: 'victim-viewer@example.test' };
    const { recording, body } = await download(contextFor(viewer, a.id));
    expect(recording.id).toBe(ids.recording);
    expect(Buffer.from(await new Response(body).arrayBuffer()).toString()).toBe('scap!');
  });

  it('left org A untouched', async () => {
    const { prisma } = getDb(databaseUrl);
    expect(await prisma.auditLog.count({ where: { organizationId: a.id, actorApiKeyId: bKeyId } })).toBe(0);
    const alert = await prisma.alert.findFirstOrThrow({ where: { id: BigInt(ids.alert) } });
    expect(alert).toMatchObject({ status: 'open', assigneeId: null });
    expect(await prisma.alertNote.count({ where: { alertId: BigInt(ids.alert) } })).toBe(0);
    expect(await prisma.ruleSetVersion.count({ where: { ruleSetId: ids.ruleSet } })).toBe(2);
    expect(await prisma.activation.count({ where: { ruleSetId: ids.ruleSet } })).toBe(2);
    const override = await prisma.environmentOverride.findFirstOrThrow({ where: { ruleSetId: ids.ruleSet } });
    expect(override.items).toEqual(['bash']);
    expect((await prisma.sensor.findUniqueOrThrow({ where: { id: ids.sensor } })).revokedAt).toBeNull();
    expect((await prisma.cloudSource.findUniqueOrThrow({ where: { id: ids.source } })).enabled).toBe(true);
    expect((await prisma.apiKey.findUniqueOrThrow({ where: { id: ids.apiKey } })).revokedAt).toBeNull();
    expect(
      (await prisma.invitation.findUniqueOrThrow({ where: { id: ids.invitation } })).revokedAt,
    ).toBeNull();
    expect(await prisma.savedView.count({ where: { id: ids.view } })).toBe(1);
    expect(await prisma.sensorRecording.count({ where: { sensorId: ids.sensor } })).toBe(1);
    expect((await prisma.notificationChannel.findUniqueOrThrow({ where: { id: ids.channel } })).enabled).toBe(
      true,
    );
    expect(await prisma.notificationRoute.findUniqueOrThrow({ where: { id: ids.route } })).toMatchObject({
      name: 'Victim route',
      channelIds: [ids.channel],
    });
    expect(await prisma.notificationOutbox.count({ where: { organizationId: a.id } })).toBe(1);
    expect(await prisma.backtestJob.count({ where: { organizationId: a.id } })).toBe(1);
    expect(await prisma.backtestJob.findUniqueOrThrow({ where: { id: ids.backtest } })).toMatchObject({
      status: 'queued',
      cancelRequestedAt: null,
    });
    const roles = await prisma.membership.findMany({
      where: { organizationId: a.id },
      select: { role: true },
    });
    expect(roles.map((r) => r.role).sort()).toEqual(['admin', 'viewer']);
    expect(await prisma.environmentGrant.count({ where: { membership: { organizationId: a.id } } })).toBe(0);
    // What the key did do happened in org B.
    expect(
      await prisma.auditLog.count({ where: { organizationId: b.id, actorApiKeyId: bKeyId } }),
    ).toBeGreaterThan(0);
  });
});

/**
 * Per-environment roles. What each procedure that acts on one environment (its lists and macros,
 * sources, sensors, activations) needs there: a role, or `promote` (admins of the environment and
 * its promoters). A member's grant in an environment replaces their organisation role there, up or
 * down; a promoter grant adds the right to activate, promote into and roll back, nothing else.
 */
const ENVIRONMENT_ACCESS: Record<string, 'triager' | 'author' | 'admin' | 'promote'> = {
  'alerts.addNote': 'triager',
  'alerts.triage': 'triager',
  'incidents.update': 'triager',
  'incidents.addNote': 'triager',
  'incidents.merge': 'triager',
  'incidents.split': 'triager',
  'rules.saveOverride': 'author',
  'rules.removeOverride': 'author',
  'rules.saveAlertException': 'author',
  'rules.activateVersion': 'promote',
  'rules.promoteVersion': 'promote',
  'rules.rollbackVersion': 'promote',
  'sources.create': 'admin',
  'sources.update': 'admin',
  'sources.rotateCredential': 'admin',
  'sources.sendTestEvent': 'admin',
  'sensors.register': 'admin',
  'sensors.sendTestEvent': 'admin',
  'sensors.requestRecording': 'admin',
  'sensors.revoke': 'admin',
  // Last: the sources it deletes are the other source probes' targets.
  'sources.delete': 'admin',
};

/** Mutations that name an environment, source or sensor but change nothing an environment runs. */
const ENVIRONMENT_EXEMPT: Record<string, string> = {
  'backtests.start': 'a backtest replays stored events against a version; nothing live changes',
};

describe('environment grants on every environment-scoped procedure', () => {
  type Env = 'staging' | 'production';
  type Member = 'author' | 'promoter' | 'stagingAdmin' | 'admin';
  let org: Awaited<ReturnType<typeof createOrganization>>;
  const people = {} as Record<Member, { id: string; name: string; email: string }>;
  const env = {} as Record<Env, string>;
  const source = {} as Record<Env, string>;
  const sensor = {} as Record<Env, string>;
  const alert = {} as Record<Env, string>;
  const incident = {} as Record<Env, string>;
  const spare = {} as Record<Env, string>;
  let ruleSet: string;
  let version: string;
  let authorKey: string;
  let probeCount = 0;

  /**
   * Who holds what, as an admin sets it on the members page:
   * - author: author in the organisation, viewer in production (edits staging only);
   * - promoter: viewer in the organisation, promoter in production (promotes there, edits nothing);
   * - stagingAdmin: viewer in the organisation, admin in staging;
   * - admin: organisation admin (admin and promoter everywhere; takes no grants).
   */
  const EXPECTED: Record<
    Member | 'authorKey',
    Record<'triager' | 'author' | 'admin' | 'promote', Record<Env, boolean>>
  > = {
    author: {
      triager: { staging: true, production: false },
      author: { staging: true, production: false },
      admin: { staging: false, production: false },
      promote: { staging: false, production: false },
    },
    promoter: {
      triager: { staging: false, production: false },
      author: { staging: false, production: false },
      admin: { staging: false, production: false },
      promote: { staging: false, production: true },
    },
    stagingAdmin: {
      triager: { staging: true, production: false },
      author: { staging: true, production: false },
      admin: { staging: true, production: false },
      promote: { staging: true, production: false },
    },
    admin: {
      triager: { staging: true, production: true },
      author: { staging: true, production: true },
      admin: { staging: true, production: true },
      promote: { staging: true, production: true },
    },
    // An API key holds its role in every environment.
    authorKey: {
      triager: { staging: true, production: true },
      author: { staging: true, production: true },
      admin: { staging: false, production: false },
      promote: { staging: false, production: false },
    },
  };

  const other = (e: Env): Env => (e === 'staging' ? 'production' : 'staging');
  const probe: Record<string, (e: Env) => unknown> = {
    'alerts.addNote': (e) => ({ alertId: alert[e], body: `probe ${probeCount++}` }),
    'alerts.triage': (e) => ({ target: { ids: [alert[e]] }, status: probeCount++ % 2 ? 'open' : 'resolved' }),
    'incidents.update': (e) => ({ id: incident[e], status: probeCount++ % 2 ? 'open' : 'acknowledged' }),
    'incidents.addNote': (e) => ({ id: incident[e], body: `probe ${probeCount++}` }),
    'incidents.merge': (e) => ({ targetId: incident[e], sourceIds: [spare[e]] }),
    'incidents.split': (e) => ({ id: incident[e], alertIds: [alert[e]] }),
    'rules.saveOverride': (e) => ({
      ruleSetId: ruleSet,
      environmentId: env[e],
      change: { kind: 'list', name: 'interactive_shells', items: ['bash', `probe${probeCount++}`] },
    }),
    'rules.removeOverride': (e) => ({
      ruleSetId: ruleSet,
      environmentId: env[e],
      kind: 'list',
      name: 'interactive_shells',
    }),
    'rules.saveAlertException': (e) => ({
      alertId: alert[e],
      name: 'grant_probe',
      items: [{ field: 'proc.name', comp: '=', value: 'grant-probe' }],
      target: { kind: 'override' },
      resolveDays: null,
    }),
    'rules.activateVersion': (e) => ({ versionId: version, environmentId: env[e], comment: '' }),
    'rules.promoteVersion': (e) => ({
      versionId: version,
      fromEnvironmentId: env[other(e)],
      toEnvironmentId: env[e],
      comment: '',
    }),
    'rules.rollbackVersion': (e) => ({ versionId: version, environmentId: env[e], comment: '' }),
    'sources.create': (e) => ({
      environmentId: env[e],
      name: `Probe ${probeCount++}`,
      settings: { kind: 'falco', config: {} },
    }),
    'sources.update': (e) => ({ sourceId: source[e], enabled: true }),
    'sources.rotateCredential': (e) => ({ sourceId: source[e] }),
    'sources.sendTestEvent': (e) => ({ sourceId: source[e] }),
    'sensors.register': (e) => ({ environmentId: env[e], name: `probe-${probeCount++}` }),
    'sensors.sendTestEvent': (e) => ({ sensorId: sensor[e] }),
    'sensors.requestRecording': (e) => ({ sensorId: sensor[e], seconds: 10 }),
    'sensors.revoke': (e) => ({ sensorId: sensor[e] }),
    'sources.delete': (e) => ({ sourceId: source[e] }),
  };

  function callWith(caller: ReturnType<typeof createCaller>, path: string, input: unknown) {
    const fn = path.split('.').reduce<unknown>((node, k) => (node as Record<string, unknown>)[k], caller);
    return (fn as (i: unknown) => Promise<unknown>)(input);
  }

  beforeAll(async () => {
    org = await createOrganization('Grant Sweep');
    for (const name of ['author', 'promoter', 'stagingAdmin', 'admin'] as const) {
      people[name] = await createUser(`Grant ${name}`);
    }
    await addMember(org.id, people.admin.id, 'admin');
    await addMember(org.id, people.author.id, 'author');
    await addMember(org.id, people.promoter.id, 'viewer');
    await addMember(org.id, people.stagingAdmin.id, 'viewer');
    const admin = createCaller(contextFor(people.admin, org.id));
    for (const e of await admin.environment.list()) env[e.name as Env] = e.id;
    const created = await admin.rules.createRuleSet({ name: 'Grant rules' });
    ruleSet = created.ruleSet.id;
    version = created.version.id;
    const db = getDb(databaseUrl);
    for (const e of ['staging', 'production'] as const) {
      await admin.rules.activateVersion({ versionId: version, environmentId: env[e], comment: '' });
      source[e] = (
        await admin.sources.create({
          environmentId: env[e],
          name: `Grant ${e}`,
          settings: { kind: 'falco', config: {} },
        })
      ).source.id;
      sensor[e] = (await admin.sensors.register({ environmentId: env[e], name: `grant-${e}` })).sensorId;
      alert[e] = (
        await db.prisma.alert.create({
          data: {
            organizationId: org.id,
            environmentId: env[e],
            rule: 'Terminal shell in container',
            priority: 'notice',
            source: 'syscall',
            output: 'grant probe',
            hostname: 'grant-host',
            eventTime: new Date(),
            dedupKey: `grant-${e}`,
            outputFields: { 'proc.name': 'bash' },
            tags: [],
          },
        })
      ).id.toString();
      const row = { id: BigInt(alert[e]), eventTime: new Date() };
      incident[e] = (await createIncident(db, org.id, env[e], [row])).id;
      spare[e] = (await createIncident(db, org.id, env[e], [])).id;
    }
    await admin.members.setEnvironmentGrant({
      userId: people.author.id,
      environmentId: env.production,
      role: 'viewer',
      promoter: false,
    });
    await admin.members.setEnvironmentGrant({
      userId: people.promoter.id,
      environmentId: env.production,
      role: null,
      promoter: true,
    });
    await admin.members.setEnvironmentGrant({
      userId: people.stagingAdmin.id,
      environmentId: env.staging,
      role: 'admin',
      promoter: false,
    });
    authorKey = (
      await createApiKey(
        db,
        { organizationId: org.id, name: 'grant author', role: 'author', createdById: null },
        {},
      )
    ).key;
  });

  it('lists every mutation that names an environment, a source or a sensor', () => {
    const named = procedurePaths.filter((path) => {
      const procedures = appRouter._def.procedures as unknown as Record<
        string,
        { _def: { type: string; inputs: unknown[] } }
      >;
      const def = procedures[path]?._def;
      if (def?.type !== 'mutation') return false;
      return def.inputs.some((input) => {
        const shape = (input as { shape?: Record<string, unknown> }).shape ?? {};
        return ['environmentId', 'toEnvironmentId', 'sourceId', 'sensorId'].some((key) => key in shape);
      });
    });
    const listed = [...Object.keys(ENVIRONMENT_ACCESS), ...Object.keys(ENVIRONMENT_EXEMPT)];
    // Environment grants themselves are the organisation admin's to set.
    // These name an alert, whose environment is checked.
    const alertScoped = new Set([
      'rules.saveAlertException',
      'alerts.addNote',
      'alerts.triage',
      // These name an incident, whose environment is checked.
      'incidents.update',
      'incidents.addNote',
      'incidents.merge',
      'incidents.split',
    ]);
    expect(named.filter((p) => p !== 'members.setEnvironmentGrant').sort()).toEqual(
      listed.filter((p) => !alertScoped.has(p)).sort(),
    );
    expect(Object.keys(probe).sort()).toEqual(Object.keys(ENVIRONMENT_ACCESS).sort());
  });

  it.each(Object.keys(ENVIRONMENT_ACCESS))(
    '%s checks the grant in the environment it acts on',
    async (path) => {
      const need = ENVIRONMENT_ACCESS[path] as 'triager' | 'author' | 'admin' | 'promote';
      const callers: [Member | 'authorKey', () => Promise<ReturnType<typeof createCaller>>][] = [
        ['author', async () => createCaller(contextFor(people.author, org.id))],
        ['promoter', async () => createCaller(contextFor(people.promoter, org.id))],
        ['stagingAdmin', async () => createCaller(contextFor(people.stagingAdmin, org.id))],
        ['admin', async () => createCaller(contextFor(people.admin, org.id))],
        ['authorKey', () => bearerCaller(authorKey)],
      ];
      const cases = callers.flatMap(([who, make]) =>
        (['staging', 'production'] as const).map((e) => ({ who, make, e, allowed: EXPECTED[who][need][e] })),
      );
      // Refusals first: an allowed call may delete or revoke the object the others name.
      for (const { who, make, e } of cases.filter((c) => !c.allowed)) {
        const code = await appCodeOf(callWith(await make(), path, probe[path]?.(e)));
        expect(code, `${who} in ${e}`).toBe('INSUFFICIENT_ROLE');
      }
      for (const { who, make, e } of cases.filter((c) => c.allowed)) {
        const code = await appCodeOf(callWith(await make(), path, probe[path]?.(e)));
        // Past the check: it ran, or its service answered (a probe's input is always well-formed).
        expect(REFUSED.has(code) || code.startsWith('untyped'), `${who} in ${e} got ${code}`).toBe(false);
      }
    },
  );

  it('bounds triage by filter to the environments where the caller triages', async () => {
    const admin = createCaller(contextFor(people.admin, org.id));
    const author = createCaller(contextFor(people.author, org.id));
    for (const e of ['staging', 'production'] as const) {
      await admin.alerts.triage({ target: { ids: [alert[e]] }, status: 'open' });
    }
    const everywhere = await admin.alerts.count({ filter: { statuses: ['open'] } });
    // Over every environment: the author (viewer in production) resolves staging's alert only.
    const result = await author.alerts.triage({
      target: { filter: { statuses: ['open'] }, maxId: everywhere.maxId as string },
      status: 'resolved',
    });
    expect(result.updated).toBe(1);
    const status = async (e: Env) => (await admin.alerts.get({ id: alert[e] })).alert.status;
    expect(await status('staging')).toBe('resolved');
    expect(await status('production')).toBe('open');
    // Naming production: refused, nothing changed.
    const refused = author.alerts.triage({
      target: {
        filter: { environment: 'production', statuses: ['open'] },
        maxId: everywhere.maxId as string,
      },
      status: 'resolved',
    });
    await expect(refused).rejects.toThrow('you triage in staging only');
    expect(await status('production')).toBe('open');
  });

  it("lets production's promoter promote staging's version there, and nothing more", async () => {
    const admin = createCaller(contextFor(people.admin, org.id));
    const files = (await admin.rules.getVersion({ versionId: version })).files;
    const next = (await admin.rules.createVersion({ ruleSetId: ruleSet, files, message: 'for promotion' }))
      .id;
    await admin.rules.activateVersion({ versionId: next, environmentId: env.staging, comment: '' });
    const promoter = createCaller(contextFor(people.promoter, org.id));
    const promoted = await promoter.rules.promoteVersion({
      versionId: next,
      fromEnvironmentId: env.staging,
      toEnvironmentId: env.production,
      comment: 'promoted by the promoter',
    });
    expect(promoted).toMatchObject({ versionId: next, environmentId: env.production });
    // A viewer otherwise: production's lists stay out of reach, and so does staging.
    const edit = {
      ruleSetId: ruleSet,
      environmentId: env.production,
      change: { kind: 'list' as const, name: 'interactive_shells', items: ['bash'] },
    };
    expect(await appCodeOf(promoter.rules.saveOverride(edit))).toBe('INSUFFICIENT_ROLE');
    expect(
      await appCodeOf(
        promoter.rules.rollbackVersion({ versionId: version, environmentId: env.staging, comment: '' }),
      ),
    ).toBe('INSUFFICIENT_ROLE');
    // The author edits staging's list but not production's, where they are a viewer.
    const author = createCaller(contextFor(people.author, org.id));
    await author.rules.saveOverride({ ...edit, environmentId: env.staging });
    const refused = author.rules.saveOverride(edit);
    await expect(refused).rejects.toThrow('This needs the author role in production; you are viewer there.');
  });

  it('applies the organisation role to an exception saved into a new version (no environment)', async () => {
    // Admin in staging, viewer in the organisation: a new version is organisation-wide.
    const input = {
      alertId: alert.staging,
      name: 'grant_probe',
      items: [{ field: 'proc.name', comp: '=', value: 'grant-probe' }],
      target: { kind: 'version', ruleSetId: ruleSet, baseVersionId: version },
      resolveDays: null,
    };
    const caller = createCaller(contextFor(people.stagingAdmin, org.id));
    expect(await appCodeOf(callWith(caller, 'rules.saveAlertException', input))).toBe('INSUFFICIENT_ROLE');
    const author = createCaller(contextFor(people.author, org.id));
    expect(REFUSED.has(await appCodeOf(callWith(author, 'rules.saveAlertException', input)))).toBe(false);
  });

  it('refuses members without any grant that could do it before reading the input', async () => {
    const viewer = await createUser('Grant plain viewer');
    await addMember(org.id, viewer.id, 'viewer');
    const caller = createCaller(contextFor(viewer, org.id));
    for (const path of Object.keys(ENVIRONMENT_ACCESS)) {
      expect(await appCodeOf(call(caller, path)), path).toBe('INSUFFICIENT_ROLE');
    }
  });

  it('audits every grant change with who, whom, the environment and the old and new values', async () => {
    const { prisma } = getDb(databaseUrl);
    const entries = await prisma.auditLog.findMany({
      where: { organizationId: org.id, action: 'member.environment_grant' },
      orderBy: { id: 'asc' },
    });
    expect(entries).toHaveLength(3);
    expect(entries[0]).toMatchObject({
      actorUserId: people.admin.id,
      targetType: 'membership',
      targetId: people.author.id,
      before: { email: people.author.email, environment: 'production', role: null, promoter: false },
      after: { email: people.author.email, environment: 'production', role: 'viewer', promoter: false },
    });
    const admin = createCaller(contextFor(people.admin, org.id));
    // Unchanged: nothing recorded. Cleared: the grant goes, and the change is recorded.
    await admin.members.setEnvironmentGrant({
      userId: people.promoter.id,
      environmentId: env.production,
      role: null,
      promoter: true,
    });
    await admin.members.setEnvironmentGrant({
      userId: people.promoter.id,
      environmentId: env.production,
      role: 'triager',
      promoter: false,
    });
    const last = await prisma.auditLog.findMany({
      where: { organizationId: org.id, action: 'member.environment_grant' },
      orderBy: { id: 'asc' },
    });
    expect(last).toHaveLength(4);
    expect(last[3]).toMatchObject({
      targetId: people.promoter.id,
      before: { environment: 'production', role: null, promoter: true },
      after: { environment: 'production', role: 'triager', promoter: false },
    });
    await admin.members.setEnvironmentGrant({
      userId: people.promoter.id,
      environmentId: env.production,
      role: null,
      promoter: false,
    });
    const grants = await admin.members.listEnvironmentGrants();
    expect(grants.filter((g) => g.userId === people.promoter.id)).toEqual([]);
    // Organisation admins are admin everywhere: no grant narrows them.
    expect(
      await appCodeOf(
        admin.members.setEnvironmentGrant({
          userId: people.admin.id,
          environmentId: env.production,
          role: 'viewer',
          promoter: false,
        }),
      ),
    ).toBe('CONFLICT');
  });
});

/** An incident of `alerts` (as the correlator leaves one), for the probes. */
async function createIncident(
  db: import('@peregrine/db').Db,
  organizationId: string,
  environmentId: string,
  alerts: { id: bigint; eventTime: Date }[],
): Promise<{ id: string }> {
  return db.prisma.incident.create({
    data: {
      organizationId,
      environmentId,
      title: 'Victim incident',
      priority: 'critical',
      tactics: [],
      sources: ['syscall'],
      alertCount: alerts.length,
      firstSeenAt: new Date(),
      lastSeenAt: new Date(),
      alerts: {
        create: alerts.map((a) => ({ alertId: a.id, eventTime: a.eventTime, addedBy: 'correlator' })),
      },
    },
    select: { id: true },
  });
}
