import { beforeAll, describe, expect, it } from 'vitest';
import { provisionTestDatabase } from '../../../../test/database';

await provisionTestDatabase();
const { createCaller } = await import('../../root');
const { createTRPCContext } = await import('../../trpc');
const { addMember, appCodeOf, contextFor, createOrganization, createUser } = await import(
  '../../../../test/fixtures'
);
const { getDb } = await import('@peregrine/db');

type Caller = ReturnType<typeof createCaller>;
type Role = 'viewer' | 'triager' | 'author' | 'admin';
const ROLES: Role[] = ['viewer', 'triager', 'author', 'admin'];
const prisma = () => getDb(process.env.DATABASE_URL as string).prisma;

/** Org A's objects, which every call below targets. */
const a = {} as {
  orgId: string;
  environmentId: string;
  memberId: string;
  invitationId: string;
  apiKeyId: string;
  sensorId: string;
  sourceId: string;
};
const users = {} as Record<Role | 'adminB', { id: string; name: string; email: string }>;
const keys = {} as Record<Role, string>;

interface Procedure {
  path: string;
  minRole: Role;
  call: (caller: Caller) => Promise<unknown>;
  /** Whether the call names one of org A's objects (so org B's admin must get NOT_FOUND). */
  targetsObject: boolean;
}

const PROCEDURES: Procedure[] = [
  {
    path: 'members.changeRole',
    minRole: 'admin',
    targetsObject: true,
    call: (c) => c.members.changeRole({ userId: a.memberId, role: 'viewer' }),
  },
  {
    path: 'members.remove',
    minRole: 'admin',
    targetsObject: true,
    call: (c) => c.members.remove({ userId: a.memberId }),
  },
  {
    path: 'members.listInvitations',
    minRole: 'admin',
    targetsObject: false,
    call: (c) => c.members.listInvitations(),
  },
  {
    path: 'members.invite',
    minRole: 'admin',
    targetsObject: false,
    call: (c) => c.members.invite({ email: 'x@example.test', role: 'viewer' }),
  },
  {
    path: 'members.revokeInvitation',
    minRole: 'admin',
    targetsObject: true,
    call: (c) => c.members.revokeInvitation({ invitationId: a.invitationId }),
  },
  { path: 'apiKeys.list', minRole: 'admin', targetsObject: false, call: (c) => c.apiKeys.list() },
  {
    path: 'apiKeys.create',
    minRole: 'admin',
    targetsObject: false,
    call: (c) => c.apiKeys.create({ name: 'k', role: 'viewer', expiresInDays: null }),
  },
  {
    path: 'apiKeys.revoke',
    minRole: 'admin',
    targetsObject: true,
    call: (c) => c.apiKeys.revoke({ apiKeyId: a.apiKeyId }),
  },
  { path: 'audit.list', minRole: 'admin', targetsObject: false, call: (c) => c.audit.list({}) },
  { path: 'audit.facets', minRole: 'admin', targetsObject: false, call: (c) => c.audit.facets() },
  { path: 'sensors.list', minRole: 'viewer', targetsObject: false, call: (c) => c.sensors.list({}) },
  {
    path: 'sensors.register',
    minRole: 'admin',
    targetsObject: true,
    call: (c) =>
      c.sensors.register({
        environmentId: a.environmentId,
        name: `h-${Math.random().toString(36).slice(2, 8)}`,
      }),
  },
  {
    path: 'sensors.revoke',
    minRole: 'admin',
    targetsObject: true,
    call: (c) => c.sensors.revoke({ sensorId: a.sensorId }),
  },
  { path: 'sources.list', minRole: 'viewer', targetsObject: false, call: (c) => c.sources.list({}) },
  {
    path: 'sources.create',
    minRole: 'admin',
    targetsObject: true,
    call: (c) =>
      c.sources.create({
        environmentId: a.environmentId,
        name: `s-${Math.random().toString(36).slice(2, 8)}`,
        settings: { kind: 'falco', config: {} },
      }),
  },
  {
    path: 'sources.update',
    minRole: 'admin',
    targetsObject: true,
    call: (c) => c.sources.update({ sourceId: a.sourceId, enabled: true }),
  },
  {
    path: 'sources.rotateCredential',
    minRole: 'admin',
    targetsObject: true,
    call: (c) => c.sources.rotateCredential({ sourceId: a.sourceId }),
  },
  {
    path: 'sources.delete',
    minRole: 'admin',
    targetsObject: true,
    call: (c) => c.sources.delete({ sourceId: a.sourceId }),
  },
];

const below = (min: Role) => ROLES.slice(0, ROLES.indexOf(min));

beforeAll(async () => {
  const orgA = await createOrganization('Access A');
  const orgB = await createOrganization('Access B');
  a.orgId = orgA.id;
  for (const role of ROLES) {
    users[role] = await createUser(`Access ${role}`);
    await addMember(orgA.id, users[role].id, role);
  }
  users.adminB = await createUser('Access admin B');
  await addMember(orgB.id, users.adminB.id, 'admin');
  const target = await createUser('Access target');
  await addMember(orgA.id, target.id, 'viewer');
  a.memberId = target.id;
  const admin = createCaller(contextFor(users.admin));
  a.environmentId = (await admin.environment.list())[0]?.id as string;
  a.invitationId = (
    await admin.members.invite({ email: 'target@example.test', role: 'viewer' })
  ).invitation.id;
  a.apiKeyId = (
    await admin.apiKeys.create({ name: 'target', role: 'viewer', expiresInDays: null })
  ).apiKey.id;
  a.sensorId = (
    await admin.sensors.register({ environmentId: a.environmentId, name: 'target-host' })
  ).sensorId;
  a.sourceId = (
    await admin.sources.create({
      environmentId: a.environmentId,
      name: 'target-k8s',
      settings: { kind: 'k8s_audit', config: {} },
    })
  ).source.id;
  for (const role of ROLES) {
    keys[role] = (await admin.apiKeys.create({ name: `key ${role}`, role, expiresInDays: null })).key;
  }
});

const keyCaller = async (key: string) =>
  createCaller(await createTRPCContext({ headers: new Headers({ authorization: `Bearer ${key}` }) }));

describe.each(PROCEDURES)('$path', (procedure) => {
  it('denies anonymous callers', async () => {
    expect(await appCodeOf(procedure.call(createCaller(contextFor(null))))).toBe('UNAUTHENTICATED');
  });

  it('denies a member of another organisation asking for this one', async () => {
    expect(await appCodeOf(procedure.call(createCaller(contextFor(users.adminB, a.orgId))))).toBe(
      'NOT_A_MEMBER',
    );
  });

  it.runIf(procedure.targetsObject)(
    "does not reach this organisation's objects from another one",
    async () => {
      expect(await appCodeOf(procedure.call(createCaller(contextFor(users.adminB))))).toBe('NOT_FOUND');
    },
  );

  it.each(below(procedure.minRole))('denies a %s member', async (role) => {
    expect(await appCodeOf(procedure.call(createCaller(contextFor(users[role]))))).toBe('INSUFFICIENT_ROLE');
  });

  it.each(below(procedure.minRole))('denies an API key with the %s role', async (role) => {
    expect(await appCodeOf(procedure.call(await keyCaller(keys[role])))).toBe('INSUFFICIENT_ROLE');
  });
});

describe('the objects survive every denied call', () => {
  it('left org A untouched', async () => {
    const member = await prisma().membership.findFirstOrThrow({
      where: { organizationId: a.orgId, userId: a.memberId },
    });
    expect(member.role).toBe('viewer');
    expect(
      (await prisma().invitation.findUniqueOrThrow({ where: { id: a.invitationId } })).revokedAt,
    ).toBeNull();
    expect((await prisma().apiKey.findUniqueOrThrow({ where: { id: a.apiKeyId } })).revokedAt).toBeNull();
    expect((await prisma().sensor.findUniqueOrThrow({ where: { id: a.sensorId } })).revokedAt).toBeNull();
    expect(await prisma().cloudSource.count({ where: { id: a.sourceId } })).toBe(1);
  });

  it('lets the minimum role through (the denials above are not vacuous)', async () => {
    for (const procedure of PROCEDURES.filter(
      (p) => !['members.remove', 'sources.delete'].includes(p.path),
    )) {
      const caller = createCaller(contextFor(users[procedure.minRole]));
      await expect(procedure.call(caller), procedure.path).resolves.toBeDefined();
    }
  });
});
