import type { Db } from '../client.js';
import { DbError } from '../errors.js';
import type { Role } from '../generated/prisma/enums.js';
import { type Actor, recordAudit } from './audit.js';

type Tx = Parameters<Parameters<Db['prisma']['$transaction']>[0]>[0];

/** How an invitation stands right now. */
export type InvitationStatus = 'pending' | 'accepted' | 'revoked' | 'expired';

/** An invitation as the console lists it (the token itself is never stored). */
export interface InvitationDto {
  id: string;
  email: string;
  role: Role;
  status: InvitationStatus;
  invitedBy: { id: string; name: string } | null;
  expiresAt: Date;
  acceptedAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
}

/** What the acceptance page shows about an invitation, found by its token hash. */
export interface InvitationLookup {
  id: string;
  organizationId: string;
  organizationName: string;
  email: string;
  role: Role;
  status: InvitationStatus;
  expiresAt: Date;
  /** Whether an account with the invited email exists (sign in to accept, or create one). */
  accountExists: boolean;
}

const INVITATION_SELECT = {
  id: true,
  email: true,
  role: true,
  expiresAt: true,
  acceptedAt: true,
  revokedAt: true,
  createdAt: true,
  invitedBy: { select: { id: true, name: true } },
} as const;

function statusOf(
  row: { acceptedAt: Date | null; revokedAt: Date | null; expiresAt: Date },
  now: Date,
): InvitationStatus {
  if (row.acceptedAt) return 'accepted';
  if (row.revokedAt) return 'revoked';
  return row.expiresAt <= now ? 'expired' : 'pending';
}

/** Emails compare case-insensitively: `Ada@Example.com` and `ada@example.com` are one person. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** The organisation's invitations, newest first (at most `limit`). */
export async function listInvitations(
  db: Db,
  organizationId: string,
  options: { now?: Date; limit?: number } = {},
): Promise<InvitationDto[]> {
  const now = options.now ?? new Date();
  const rows = await db.prisma.invitation.findMany({
    where: { organizationId },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: options.limit ?? 200,
    select: INVITATION_SELECT,
  });
  return rows.map((row) => ({ ...row, status: statusOf(row, now) }));
}

/**
 * Creates an invitation (the caller made the token and passes its hash). A still-pending
 * invitation for the same email is revoked in the same transaction, so only the newest link works.
 */
export async function createInvitation(
  db: Db,
  input: {
    organizationId: string;
    email: string;
    role: Role;
    tokenHash: string;
    expiresAt: Date;
    invitedById: string | null;
  },
  actor: Actor,
  now: Date = new Date(),
): Promise<InvitationDto> {
  const email = normalizeEmail(input.email);
  return db.prisma.$transaction(async (tx) => {
    const existingMember = await tx.membership.findFirst({
      where: {
        organizationId: input.organizationId,
        user: { email: { equals: email, mode: 'insensitive' } },
      },
      select: { id: true },
    });
    if (existingMember) throw new DbError('CONFLICT', `${email} is already a member of this organisation`);
    const superseded = await tx.invitation.findMany({
      where: {
        organizationId: input.organizationId,
        email,
        acceptedAt: null,
        revokedAt: null,
        expiresAt: { gt: now },
      },
      select: { id: true },
    });
    if (superseded.length > 0) {
      await tx.invitation.updateMany({
        where: { id: { in: superseded.map((s) => s.id) } },
        data: { revokedAt: now },
      });
    }
    const row = await tx.invitation.create({
      data: {
        organizationId: input.organizationId,
        email,
        role: input.role,
        tokenHash: input.tokenHash,
        expiresAt: input.expiresAt,
        invitedById: input.invitedById,
      },
      select: INVITATION_SELECT,
    });
    await recordAudit(tx, actor, {
      organizationId: input.organizationId,
      action: 'invitation.create',
      targetType: 'invitation',
      targetId: row.id,
      after: {
        email,
        role: row.role,
        expiresAt: row.expiresAt,
        ...(superseded.length > 0 ? { supersedes: superseded.map((s) => s.id) } : {}),
      },
    });
    return { ...row, status: statusOf(row, now) };
  });
}

/** Revokes a pending invitation of the organisation; NOT_FOUND otherwise, CONFLICT once used. */
export async function revokeInvitation(
  db: Db,
  input: { organizationId: string; invitationId: string },
  actor: Actor,
  now: Date = new Date(),
): Promise<InvitationDto> {
  return db.prisma.$transaction(async (tx) => {
    const before = await tx.invitation.findFirst({
      where: { id: input.invitationId, organizationId: input.organizationId },
      select: INVITATION_SELECT,
    });
    if (!before) throw new DbError('NOT_FOUND', 'invitation not found');
    const status = statusOf(before, now);
    if (status === 'accepted') throw new DbError('CONFLICT', 'this invitation was already accepted');
    if (status === 'revoked') return { ...before, status };
    const row = await tx.invitation.update({
      where: { id: before.id },
      data: { revokedAt: now },
      select: INVITATION_SELECT,
    });
    await recordAudit(tx, actor, {
      organizationId: input.organizationId,
      action: 'invitation.revoke',
      targetType: 'invitation',
      targetId: row.id,
      before: { email: before.email, role: before.role, status },
      after: { email: row.email, role: row.role, status: 'revoked' },
    });
    return { ...row, status: statusOf(row, now) };
  });
}

/** The invitation whose token hashes to `tokenHash`, whatever its state; null when unknown. */
export async function findInvitationByTokenHash(
  db: Db,
  tokenHash: string,
  now: Date = new Date(),
): Promise<InvitationLookup | null> {
  const row = await db.prisma.invitation.findUnique({
    where: { tokenHash },
    select: {
      id: true,
      organizationId: true,
      email: true,
      role: true,
      expiresAt: true,
      acceptedAt: true,
      revokedAt: true,
      organization: { select: { name: true } },
    },
  });
  if (!row) return null;
  const account = await db.prisma.user.findFirst({
    where: { email: { equals: row.email, mode: 'insensitive' } },
    select: { id: true },
  });
  return {
    accountExists: account !== null,
    id: row.id,
    organizationId: row.organizationId,
    organizationName: row.organization.name,
    email: row.email,
    role: row.role,
    status: statusOf(row, now),
    expiresAt: row.expiresAt,
  };
}

/**
 * Accepts an invitation for a signed-in user: checks it is pending and addressed to the user's
 * email, adds the membership and marks the invitation used, all under a row lock so one link
 * cannot be redeemed twice. INVALID: expired, revoked, used or another email; CONFLICT: already a
 * member.
 */
export async function acceptInvitation(
  db: Db,
  input: { tokenHash: string; userId: string },
  actor: Actor,
  now: Date = new Date(),
): Promise<{ organizationId: string; role: Role }> {
  return db.prisma.$transaction(async (tx) => {
    const locked = await tx.$queryRaw<{ id: string }[]>`
      SELECT id FROM invitations WHERE "tokenHash" = ${input.tokenHash} FOR UPDATE`;
    const id = locked[0]?.id;
    if (!id) throw new DbError('NOT_FOUND', 'this invitation link is not valid');
    const invitation = await tx.invitation.findUniqueOrThrow({
      where: { id },
      select: {
        id: true,
        organizationId: true,
        email: true,
        role: true,
        expiresAt: true,
        acceptedAt: true,
        revokedAt: true,
      },
    });
    const status = statusOf(invitation, now);
    if (status !== 'pending') throw new DbError('INVALID', `this invitation is ${status}`);
    const user = await tx.user.findUnique({ where: { id: input.userId }, select: { email: true } });
    if (!user) throw new DbError('NOT_FOUND', 'user not found');
    if (normalizeEmail(user.email) !== normalizeEmail(invitation.email)) {
      throw new DbError(
        'FORBIDDEN',
        `this invitation is for ${invitation.email}; you are signed in as ${user.email}`,
      );
    }
    const member = await tx.membership.findUnique({
      where: { organizationId_userId: { organizationId: invitation.organizationId, userId: input.userId } },
      select: { id: true },
    });
    if (member) throw new DbError('CONFLICT', 'you are already a member of this organisation');
    await tx.membership.create({
      data: { organizationId: invitation.organizationId, userId: input.userId, role: invitation.role },
    });
    await tx.invitation.update({ where: { id }, data: { acceptedAt: now } });
    await recordAudit(
      tx,
      { ...actor, userId: input.userId },
      {
        organizationId: invitation.organizationId,
        action: 'invitation.accept',
        targetType: 'membership',
        targetId: input.userId,
        after: { userId: input.userId, email: user.email, role: invitation.role, invitationId: id },
      },
    );
    return { organizationId: invitation.organizationId, role: invitation.role };
  });
}

/**
 * Locks the organisation's admin memberships, so two admins demoting or removing each other at
 * the same moment cannot both succeed and leave the organisation without one.
 */
async function lockAdmins(tx: Tx, organizationId: string): Promise<string[]> {
  const rows = await tx.$queryRaw<{ userId: string }[]>`
    SELECT "userId" FROM memberships
     WHERE "organizationId" = ${organizationId}::uuid AND role = 'admin'
     ORDER BY "userId" FOR UPDATE`;
  return rows.map((r) => r.userId);
}

async function memberOf(tx: Tx, organizationId: string, userId: string) {
  const row = await tx.membership.findUnique({
    where: { organizationId_userId: { organizationId, userId } },
    select: { id: true, role: true, user: { select: { email: true, name: true } } },
  });
  if (!row) throw new DbError('NOT_FOUND', 'member not found');
  return row;
}

/** Changes a member's role; the last admin cannot be demoted (CONFLICT). */
export async function changeMemberRole(
  db: Db,
  input: { organizationId: string; userId: string; role: Role },
  actor: Actor,
): Promise<{ userId: string; role: Role }> {
  return db.prisma.$transaction(async (tx) => {
    const admins = await lockAdmins(tx, input.organizationId);
    const before = await memberOf(tx, input.organizationId, input.userId);
    if (before.role === input.role) return { userId: input.userId, role: input.role };
    if (before.role === 'admin' && admins.length <= 1) {
      throw new DbError('CONFLICT', 'the organisation needs at least one admin: promote someone else first');
    }
    await tx.membership.update({ where: { id: before.id }, data: { role: input.role } });
    await recordAudit(tx, actor, {
      organizationId: input.organizationId,
      action: 'member.role_change',
      targetType: 'membership',
      targetId: input.userId,
      before: { email: before.user.email, role: before.role },
      after: { email: before.user.email, role: input.role },
    });
    return { userId: input.userId, role: input.role };
  });
}

/** Removes a member from the organisation; the last admin cannot be removed (CONFLICT). */
export async function removeMember(
  db: Db,
  input: { organizationId: string; userId: string },
  actor: Actor,
): Promise<void> {
  await deleteMembership(db, input, actor, 'member.remove');
}

/**
 * The user leaves the organisation themself; the last admin cannot leave (CONFLICT), so no
 * organisation is left without someone to run it.
 */
export async function leaveOrganization(
  db: Db,
  input: { organizationId: string; userId: string },
  actor: Actor,
): Promise<void> {
  await deleteMembership(db, input, actor, 'member.leave');
}

async function deleteMembership(
  db: Db,
  input: { organizationId: string; userId: string },
  actor: Actor,
  action: 'member.remove' | 'member.leave',
): Promise<void> {
  await db.prisma.$transaction(async (tx) => {
    const admins = await lockAdmins(tx, input.organizationId);
    const before = await memberOf(tx, input.organizationId, input.userId);
    if (before.role === 'admin' && admins.length <= 1) {
      throw new DbError(
        'CONFLICT',
        action === 'member.leave'
          ? 'you are the last admin: make someone else admin before leaving'
          : 'the last admin cannot be removed: promote someone else first',
      );
    }
    await tx.membership.delete({ where: { id: before.id } });
    await recordAudit(tx, actor, {
      organizationId: input.organizationId,
      action,
      targetType: 'membership',
      targetId: input.userId,
      before: { email: before.user.email, name: before.user.name, role: before.role },
    });
  });
}
