import { sendTestNotification as sendTestNotificationService } from '../../services/notifications/send-test-notification';
import { orgActorProcedure } from '../../trpc';
import { sendTestNotificationInput, sendTestNotificationOutput } from './send-test-notification.schema';

/** Admins send a test notification through a channel (delivered by a collector like any other). */
export const sendTestNotification = orgActorProcedure('admin')
  .input(sendTestNotificationInput)
  .output(sendTestNotificationOutput)
  .mutation(({ ctx, input }) =>
    sendTestNotificationService({ organizationId: ctx.org.id, channelId: input.channelId, actor: ctx.actor }),
  );
