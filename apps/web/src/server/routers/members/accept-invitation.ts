import { acceptInvitation as acceptInvitationService } from '../../services/members/accept-invitation';
import { authedProcedure } from '../../trpc';
import { acceptInvitationInput, acceptInvitationOutput } from './accept-invitation.schema';

/** The signed-in invitee joins the organisation with the invitation's role. */
export const acceptInvitation = authedProcedure
  .input(acceptInvitationInput)
  .output(acceptInvitationOutput)
  .mutation(({ ctx, input }) =>
    acceptInvitationService({
      token: input.token,
      userId: ctx.viewer.id,
      ip: ctx.clientIp,
      userAgent: ctx.headers.get('user-agent'),
    }),
  );
