import { removeMember as removeMemberService } from '../../services/members/remove-member';
import { orgActorProcedure } from '../../trpc';
import { removeMemberInput, removeMemberOutput } from './remove-member.schema';

/** Admins remove a member; the last admin cannot be removed. */
export const removeMember = orgActorProcedure('admin')
  .input(removeMemberInput)
  .output(removeMemberOutput)
  .mutation(({ ctx, input }) =>
    removeMemberService({ organizationId: ctx.org.id, userId: input.userId, actor: ctx.actor }),
  );
