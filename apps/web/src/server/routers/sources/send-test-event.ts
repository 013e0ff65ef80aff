import { sendTestEvent as sendTestEventService } from '../../services/sources/send-test-event';
import { environmentActorProcedure } from '../../trpc';
import { sendTestEventInput, sendTestEventOutput } from './send-test-event.schema';

/**
 * Admins send a source's test event through the collector's real ingest path (like a
 * falcosidekick test event); the answer lists the alerts it raised or says why there are none.
 */
export const sendSourceTestEvent = environmentActorProcedure('admin')
  .input(sendTestEventInput)
  .output(sendTestEventOutput)
  .mutation(async ({ ctx, input }) => {
    await ctx.requireEnvironment({ sourceId: input.sourceId });
    return sendTestEventService({ organizationId: ctx.org.id, sourceId: input.sourceId, actor: ctx.actor });
  });
