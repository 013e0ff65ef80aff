import { createTRPCRouter } from '../../trpc';
import { acceptInvitation } from './accept-invitation';
import { acceptInvitationWithSignUp } from './accept-invitation-with-sign-up';
import { changeMemberRole } from './change-member-role';
import { createInvitation } from './create-invitation';
import { getInvitation } from './get-invitation';
import { listEnvironmentGrants } from './list-environment-grants';
import { listInvitations } from './list-invitations';
import { removeMember } from './remove-member';
import { revokeInvitation } from './revoke-invitation';
import { setEnvironmentGrant } from './set-environment-grant';

/** Members, roles and invitations (listing members is `organization.listMembers`). */
export const membersRouter = createTRPCRouter({
  changeRole: changeMemberRole,
  remove: removeMember,
  listEnvironmentGrants,
  setEnvironmentGrant,
  listInvitations,
  invite: createInvitation,
  revokeInvitation,
  getInvitation,
  acceptInvitation,
  acceptInvitationWithSignUp,
});
