import { sendTestEvent as sendTestEventService } from '../../services/sources/send-test-event';
import { orgActorProcedure } from '../../trpc';
import { sendTestEventInput, sendTestEventOutput } from './send-test-event.schema';

/**
 * Admins send a source's test event through the collector's real ingest path (like a
 * falcosidekick test event); the answer lists the alerts it raised or says why there are none.
 */
export const sendSourceTestEvent = orgActorProcedure('admin')
  .input(sendTestEventInput)
  .output(sendTestEventOutput)
  .mutation(({ ctx, input }) =>
    sendTestEventService({ organizationId: ctx.org.id, sourceId: input.sourceId, actor: ctx.actor }),
  );
