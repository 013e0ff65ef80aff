import { updateChannel as updateChannelService } from '../../services/notifications/update-channel';
import { orgActorProcedure } from '../../trpc';
import { updateChannelInput, updateChannelOutput } from './update-channel.schema';

/** Admins change a channel's name, settings, secrets (write-only) or enabled flag. */
export const updateChannel = orgActorProcedure('admin')
  .input(updateChannelInput)
  .output(updateChannelOutput)
  .mutation(({ ctx, input }) =>
    updateChannelService({ organizationId: ctx.org.id, ...input, actor: ctx.actor }),
  );
