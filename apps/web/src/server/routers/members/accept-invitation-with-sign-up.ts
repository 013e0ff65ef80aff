import { acceptInvitationWithSignUp as acceptWithSignUpService } from '../../services/members/accept-invitation-with-sign-up';
import { publicProcedure } from '../../trpc';
import {
  acceptInvitationWithSignUpInput,
  acceptInvitationWithSignUpOutput,
} from './accept-invitation-with-sign-up.schema';

/** A new invitee creates their account for the invited email and joins; public, the token is the credential. */
export const acceptInvitationWithSignUp = publicProcedure
  .input(acceptInvitationWithSignUpInput)
  .output(acceptInvitationWithSignUpOutput)
  .mutation(({ ctx, input }) =>
    acceptWithSignUpService({
      token: input.token,
      name: input.name,
      password: input.password,
      headers: ctx.headers,
      ip: ctx.clientIp,
    }),
  );
