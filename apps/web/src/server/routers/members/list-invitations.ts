import { listInvitations as listInvitationsService } from '../../services/members/list-invitations';
import { orgActorProcedure } from '../../trpc';
import { listInvitationsOutput } from './list-invitations.schema';

/** Admins see the organisation's invitations and their state. */
export const listInvitations = orgActorProcedure('admin')
  .output(listInvitationsOutput)
  .query(({ ctx }) => listInvitationsService(ctx.org.id));
