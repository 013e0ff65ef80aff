import { createChannel as createChannelService } from '../../services/notifications/create-channel';
import { orgActorProcedure } from '../../trpc';
import { createChannelInput, createChannelOutput } from './create-channel.schema';

/** Admins add a notification channel (its secrets are encrypted and never shown again). */
export const createChannel = orgActorProcedure('admin')
  .input(createChannelInput)
  .output(createChannelOutput)
  .mutation(({ ctx, input }) =>
    createChannelService({ organizationId: ctx.org.id, ...input, actor: ctx.actor }),
  );
