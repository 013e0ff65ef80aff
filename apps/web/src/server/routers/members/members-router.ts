import { createTRPCRouter } from '../../trpc';
import { acceptInvitation } from './accept-invitation';
import { acceptInvitationWithSignUp } from './accept-invitation-with-sign-up';
import { changeMemberRole } from './change-member-role';
import { createInvitation } from './create-invitation';
import { getInvitation } from './get-invitation';
import { listInvitations } from './list-invitations';
import { removeMember } from './remove-member';
import { revokeInvitation } from './revoke-invitation';

/** Members, roles and invitations (listing members is `organization.listMembers`). */
export const membersRouter = createTRPCRouter({
  changeRole: changeMemberRole,
  remove: removeMember,
  listInvitations,
  invite: createInvitation,
  revokeInvitation,
  getInvitation,
  acceptInvitation,
  acceptInvitationWithSignUp,
});
