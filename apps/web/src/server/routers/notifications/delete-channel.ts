import { deleteChannel as deleteChannelService } from '../../services/notifications/delete-channel';
import { orgActorProcedure } from '../../trpc';
import { deleteChannelInput, deleteChannelOutput } from './delete-channel.schema';

/** Admins delete a channel (with its pending notifications and its place in routes). */
export const deleteChannel = orgActorProcedure('admin')
  .input(deleteChannelInput)
  .output(deleteChannelOutput)
  .mutation(({ ctx, input }) =>
    deleteChannelService({ organizationId: ctx.org.id, channelId: input.channelId, actor: ctx.actor }),
  );
