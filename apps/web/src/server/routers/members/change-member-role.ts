import { changeMemberRole as changeMemberRoleService } from '../../services/members/change-member-role';
import { orgActorProcedure } from '../../trpc';
import { changeMemberRoleInput, changeMemberRoleOutput } from './change-member-role.schema';

/** Admins change a member's role; the last admin cannot be demoted. */
export const changeMemberRole = orgActorProcedure('admin')
  .input(changeMemberRoleInput)
  .output(changeMemberRoleOutput)
  .mutation(({ ctx, input }) =>
    changeMemberRoleService({
      organizationId: ctx.org.id,
      userId: input.userId,
      role: input.role,
      actor: ctx.actor,
    }),
  );
