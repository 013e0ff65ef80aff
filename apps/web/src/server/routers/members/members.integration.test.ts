import { beforeAll, describe, expect, it } from 'vitest';
import { provisionTestDatabase } from '../../../../test/database';

await provisionTestDatabase();
const { createCaller } = await import('../../root');
const { addMember, appCodeOf, contextFor, createOrganization, createUser } = await import(
  '../../../../test/fixtures'
);
const { getDb } = await import('@peregrine/db');
const { getAuth } = await import('../../auth/auth');

const prisma = () => getDb(process.env.DATABASE_URL as string).prisma;

let org: Awaited<ReturnType<typeof createOrganization>>;
let admin: Awaited<ReturnType<typeof createUser>>;
let author: Awaited<ReturnType<typeof createUser>>;

const tokenOf = (url: string) => url.slice(url.lastIndexOf('/') + 1);
const asAdmin = () => createCaller(contextFor(admin));

beforeAll(async () => {
  org = await createOrganization('Members Org');
  admin = await createUser('Member Admin');
  author = await createUser('Member Author');
  await addMember(org.id, admin.id, 'admin');
  await addMember(org.id, author.id, 'author');
});

async function auditOf(action: string) {
  return prisma().auditLog.findMany({
    where: { organizationId: org.id, action },
    orderBy: { id: 'asc' },
    select: { actorUserId: true, actorApiKeyId: true, targetId: true, before: true, after: true },
  });
}

describe('member roles', () => {
  it('changes a role and records before and after', async () => {
    await asAdmin().members.changeRole({ userId: author.id, role: 'triager' });
    const members = await asAdmin().organization.listMembers();
    expect(members.find((m) => m.userId === author.id)?.role).toBe('triager');
    const [entry] = await auditOf('member.role_change');
    expect(entry).toMatchObject({
      actorUserId: admin.id,
      targetId: author.id,
      before: { role: 'author' },
      after: { role: 'triager' },
    });
    await asAdmin().members.changeRole({ userId: author.id, role: 'author' });
  });

  it('never demotes or removes the last admin', async () => {
    expect(await appCodeOf(asAdmin().members.changeRole({ userId: admin.id, role: 'viewer' }))).toBe(
      'CONFLICT',
    );
    expect(await appCodeOf(asAdmin().members.remove({ userId: admin.id }))).toBe('CONFLICT');
  });

  it('lets an admin step down once another admin exists', async () => {
    const second = await createUser('Second Admin');
    await addMember(org.id, second.id, 'admin');
    await createCaller(contextFor(second)).members.changeRole({ userId: second.id, role: 'viewer' });
    expect(await appCodeOf(asAdmin().members.changeRole({ userId: admin.id, role: 'viewer' }))).toBe(
      'CONFLICT',
    );
    await asAdmin().members.remove({ userId: second.id });
    expect((await asAdmin().organization.listMembers()).some((m) => m.userId === second.id)).toBe(false);
    const [removed] = await auditOf('member.remove');
    expect(removed).toMatchObject({ targetId: second.id, before: { role: 'viewer' }, after: null });
    // Their sessions no longer reach the organisation.
    expect(await appCodeOf(createCaller(contextFor(second)).viewer.get())).toBe('NOT_A_MEMBER');
  });

  it('keeps one admin when two admins demote each other at the same moment', async () => {
    const other = await createOrganization('Race Org');
    const a = await createUser('Racer A');
    const b = await createUser('Racer B');
    await addMember(other.id, a.id, 'admin');
    await addMember(other.id, b.id, 'admin');
    const results = await Promise.allSettled([
      createCaller(contextFor(a)).members.changeRole({ userId: b.id, role: 'viewer' }),
      createCaller(contextFor(b)).members.changeRole({ userId: a.id, role: 'viewer' }),
    ]);
    const admins = await prisma().membership.count({ where: { organizationId: other.id, role: 'admin' } });
    expect(admins).toBe(1);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('reports unknown members as NOT_FOUND', async () => {
    const stranger = await createUser('Stranger');
    expect(await appCodeOf(asAdmin().members.remove({ userId: stranger.id }))).toBe('NOT_FOUND');
  });
});

describe('invitations', () => {
  it('stores only a hash of the one-time token and shows the link once', async () => {
    const { invitation, url } = await asAdmin().members.invite({
      email: 'New.Person@Example.test',
      role: 'triager',
    });
    expect(invitation).toMatchObject({
      email: 'new.person@example.test',
      role: 'triager',
      status: 'pending',
    });
    expect(url).toMatch(/^http:\/\/localhost:3000\/invite\/[A-Za-z0-9_-]{43}$/);
    const row = await prisma().invitation.findUniqueOrThrow({ where: { id: invitation.id } });
    expect(row.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(tokenOf(url));
    expect(row.expiresAt.getTime() - row.createdAt.getTime()).toBeGreaterThan(6 * 86_400_000);
    const listed = await asAdmin().members.listInvitations();
    expect(JSON.stringify(listed)).not.toContain(tokenOf(url));
  });

  it('lets a new invitee create an account and join with the role', async () => {
    const { url } = await asAdmin().members.invite({ email: 'fresh@example.test', role: 'author' });
    const token = tokenOf(url);
    const anonymous = createCaller(contextFor(null));
    expect(await anonymous.members.getInvitation({ token })).toMatchObject({
      organizationName: 'Members Org',
      email: 'fresh@example.test',
      role: 'author',
      status: 'pending',
      accountExists: false,
    });
    const joined = await anonymous.members.acceptInvitationWithSignUp({
      token,
      name: 'Fresh Person',
      password: 'a long enough password',
      confirmPassword: 'a long enough password',
    });
    expect(joined).toEqual({ organizationId: org.id, role: 'author' });
    const user = await prisma().user.findUniqueOrThrow({ where: { email: 'fresh@example.test' } });
    const member = await prisma().membership.findFirstOrThrow({
      where: { organizationId: org.id, userId: user.id },
    });
    expect(member.role).toBe('author');
    // The link is spent: it can neither create another account nor be accepted again.
    expect((await anonymous.members.getInvitation({ token })).status).toBe('accepted');
    expect(
      await appCodeOf(
        anonymous.members.acceptInvitationWithSignUp({
          token,
          name: 'Again',
          password: 'a long enough password',
          confirmPassword: 'a long enough password',
        }),
      ),
    ).toBe('INVALID_INPUT');
    const [entry] = await auditOf('invitation.accept');
    expect(entry).toMatchObject({
      actorUserId: user.id,
      after: { role: 'author', email: 'fresh@example.test' },
    });
  });

  it('lets an existing account accept while signed in as the invited email only', async () => {
    const existing = await createUser('Existing Person');
    const other = await createUser('Someone Else');
    const { url } = await asAdmin().members.invite({ email: existing.email.toUpperCase(), role: 'viewer' });
    const token = tokenOf(url);
    expect((await createCaller(contextFor(null)).members.getInvitation({ token })).accountExists).toBe(true);
    expect(await appCodeOf(createCaller(contextFor(other)).members.acceptInvitation({ token }))).toBe(
      'INSUFFICIENT_ROLE',
    );
    expect(
      await appCodeOf(
        createCaller(contextFor(null)).members.acceptInvitationWithSignUp({
          token,
          name: 'Hijack',
          password: 'a long enough password',
          confirmPassword: 'a long enough password',
        }),
      ),
    ).toBe('CONFLICT');
    await createCaller(contextFor(existing)).members.acceptInvitation({ token });
    const viewer = await createCaller(contextFor(existing, org.id)).viewer.get();
    expect(viewer).toMatchObject({ organization: { id: org.id }, role: 'viewer' });
  });

  it('refuses revoked, expired, superseded and unknown links', async () => {
    const invitee = await createUser('Late Invitee');
    const first = await asAdmin().members.invite({ email: invitee.email, role: 'viewer' });
    const second = await asAdmin().members.invite({ email: invitee.email, role: 'triager' });
    const anonymous = createCaller(contextFor(null));
    expect((await anonymous.members.getInvitation({ token: tokenOf(first.url) })).status).toBe('revoked');
    await asAdmin().members.revokeInvitation({ invitationId: second.invitation.id });
    const caller = createCaller(contextFor(invitee));
    expect(await appCodeOf(caller.members.acceptInvitation({ token: tokenOf(second.url) }))).toBe(
      'INVALID_INPUT',
    );

    const third = await asAdmin().members.invite({ email: invitee.email, role: 'viewer' });
    await prisma().invitation.update({
      where: { id: third.invitation.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    expect((await anonymous.members.getInvitation({ token: tokenOf(third.url) })).status).toBe('expired');
    expect(await appCodeOf(caller.members.acceptInvitation({ token: tokenOf(third.url) }))).toBe(
      'INVALID_INPUT',
    );

    expect(await appCodeOf(anonymous.members.getInvitation({ token: 'A'.repeat(43) }))).toBe('NOT_FOUND');
    expect(await appCodeOf(caller.members.acceptInvitation({ token: 'A'.repeat(43) }))).toBe('NOT_FOUND');
    const revoked = await auditOf('invitation.revoke');
    expect(revoked.at(-1)).toMatchObject({ before: { status: 'pending' }, after: { status: 'revoked' } });
  });

  it('refuses to invite an existing member', async () => {
    expect(await appCodeOf(asAdmin().members.invite({ email: author.email, role: 'viewer' }))).toBe(
      'CONFLICT',
    );
  });

  it('keeps open sign-up closed: better-auth refuses /sign-up/email over HTTP', async () => {
    const response = await getAuth().handler(
      new Request('http://localhost:3000/api/auth/sign-up/email', {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: 'http://localhost:3000' },
        body: JSON.stringify({ name: 'x', email: 'open@example.test', password: 'a long enough password' }),
      }),
    );
    expect(response.status).toBeGreaterThanOrEqual(400);
  });
});
