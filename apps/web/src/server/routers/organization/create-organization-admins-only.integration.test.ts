import { beforeAll, describe, expect, it } from 'vitest';
import { provisionTestDatabase } from '../../../../test/database';

const databaseUrl = await provisionTestDatabase();
// Read once per process, on first use: set before any server module looks.
process.env.PEREGRINE_ORG_CREATION = 'admins';
const { getDb } = await import('@peregrine/db');
const { createCaller } = await import('../../root');
const { addMember, appCodeOf, contextFor, createOrganization, createUser } = await import(
  '../../../../test/fixtures'
);

type User = Awaited<ReturnType<typeof createUser>>;
let admin: User;
let viewer: User;
let loner: User;

beforeAll(async () => {
  const org = await createOrganization('Instance');
  admin = await createUser('Instance Admin');
  viewer = await createUser('Plain Viewer');
  loner = await createUser('No Org');
  await addMember(org.id, admin.id, 'admin');
  await addMember(org.id, viewer.id, 'viewer');
});

describe('PEREGRINE_ORG_CREATION=admins', () => {
  it('refuses users who administer no organisation, creating nothing', async () => {
    const before = await getDb(databaseUrl).prisma.organization.count();
    for (const user of [viewer, loner]) {
      const result = createCaller(contextFor(user)).organization.create({ name: 'Shadow IT' });
      expect(await appCodeOf(result)).toBe('INSUFFICIENT_ROLE');
    }
    await expect(createCaller(contextFor(viewer)).organization.create({ name: 'Shadow IT' })).rejects.toThrow(
      /only organisation admins may create organisations/,
    );
    expect(await getDb(databaseUrl).prisma.organization.count()).toBe(before);
  });

  it('lets an admin of an organisation create another', async () => {
    const created = await createCaller(contextFor(admin)).organization.create({ name: 'Second' });
    expect(created.name).toBe('Second');
  });
});
