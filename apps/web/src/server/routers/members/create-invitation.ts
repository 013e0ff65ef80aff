import { createInvitation as createInvitationService } from '../../services/members/create-invitation';
import { orgActorProcedure } from '../../trpc';
import { createInvitationInput, createInvitationOutput } from './create-invitation.schema';

/** Admins invite an email address with a role; the link is returned once. */
export const createInvitation = orgActorProcedure('admin')
  .input(createInvitationInput)
  .output(createInvitationOutput)
  .mutation(({ ctx, input }) =>
    createInvitationService({
      organizationId: ctx.org.id,
      email: input.email,
      role: input.role,
      actor: ctx.actor,
    }),
  );
