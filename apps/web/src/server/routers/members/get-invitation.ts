import { getInvitation as getInvitationService } from '../../services/members/get-invitation';
import { publicProcedure } from '../../trpc';
import { getInvitationInput, getInvitationOutput } from './get-invitation.schema';

/** What an invitation link leads to; public, because the token itself is the credential. */
export const getInvitation = publicProcedure
  .input(getInvitationInput)
  .output(getInvitationOutput)
  .query(({ input }) => getInvitationService(input.token));
