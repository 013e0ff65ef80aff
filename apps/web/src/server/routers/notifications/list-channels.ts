import { listChannels as listChannelsService } from '../../services/notifications/list-channels';
import { orgActorProcedure } from '../../trpc';
import { listChannelsOutput } from './list-channels.schema';

/** Admins see the notification channels and which secrets each has (never their values). */
export const listChannels = orgActorProcedure('admin')
  .output(listChannelsOutput)
  .query(({ ctx }) => listChannelsService({ organizationId: ctx.org.id }));
