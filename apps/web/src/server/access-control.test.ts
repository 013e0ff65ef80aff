import { beforeAll, describe, expect, it } from 'vitest';
import { provisionTestDatabase } from '../../test/database';

await provisionTestDatabase();
const { appRouter, createCaller } = await import('./root');
const { createCallerFactory, createTRPCRouter, orgProcedure } = await import('./trpc');
const { addMember, appCodeOf, contextFor, createOrganization, createUser } = await import(
  '../../test/fixtures'
);

/** Procedures anyone may call: first-run setup must work before any account exists. */
const PUBLIC_PROCEDURES = new Set([
  'setup.getStatus',
  'setup.createFirstAdmin',
  // An invitation link's token is its own credential (members/*.test.ts covers them).
  'members.getInvitation',
  'members.acceptInvitationWithSignUp',
]);
/** Procedures about the caller themself rather than one organisation (still need a session). */
const PERSONAL_PROCEDURES = new Set(['viewer.listOrganizations', 'members.acceptInvitation']);

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
