import { listMembers as listMembersService } from '../../services/organization/list-members';
import { orgActorProcedure } from '../../trpc';
import { listMembersOutput } from './list-members.schema';

/** Members of the caller's organisation and their roles. */
export const listMembers = orgActorProcedure('viewer')
  .output(listMembersOutput)
  .query(({ ctx }) => listMembersService(ctx.org.id));
