import { revokeInvitation as revokeInvitationService } from '../../services/members/revoke-invitation';
import { orgActorProcedure } from '../../trpc';
import { revokeInvitationInput, revokeInvitationOutput } from './revoke-invitation.schema';

/** Admins revoke a pending invitation. */
export const revokeInvitation = orgActorProcedure('admin')
  .input(revokeInvitationInput)
  .output(revokeInvitationOutput)
  .mutation(({ ctx, input }) =>
    revokeInvitationService({
      organizationId: ctx.org.id,
      invitationId: input.invitationId,
      actor: ctx.actor,
    }),
  );
