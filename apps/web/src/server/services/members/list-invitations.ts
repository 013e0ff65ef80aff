import 'server-only';
import { type InvitationDto, listInvitations as listInvitationRows } from '@peregrine/db';
import { db } from '../../db';

/** An invitation for the console (dates as ISO strings). */
export interface InvitationItem {
  id: string;
  email: string;
  role: InvitationDto['role'];
  status: InvitationDto['status'];
  invitedBy: { id: string; name: string } | null;
  expiresAt: string;
  acceptedAt: string | null;
  revokedAt: string | null;
  createdAt: string;
}

export function toInvitationItem(row: InvitationDto): InvitationItem {
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    status: row.status,
    invitedBy: row.invitedBy,
    expiresAt: row.expiresAt.toISOString(),
    acceptedAt: row.acceptedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

/** The organisation's invitations, newest first. */
export async function listInvitations(organizationId: string): Promise<InvitationItem[]> {
  return (await listInvitationRows(db(), organizationId)).map(toInvitationItem);
}
