import { createTRPCRouter } from '../../trpc';
import { createChannel } from './create-channel';
import { createRoute } from './create-route';
import { deleteChannel } from './delete-channel';
import { deleteRoute } from './delete-route';
import { listChannels } from './list-channels';
import { listDeliveries } from './list-deliveries';
import { listRoutes } from './list-routes';
import { moveRoute } from './move-route';
import { previewRoute } from './preview-route';
import { retryDelivery } from './retry-delivery';
import { sendTestNotification } from './send-test-notification';
import { updateChannel } from './update-channel';
import { updateRoute } from './update-route';

/** Notification channels, routes and the delivery log (issue 15). */
export const notificationsRouter = createTRPCRouter({
  listChannels,
  createChannel,
  updateChannel,
  deleteChannel,
  sendTest: sendTestNotification,
  listRoutes,
  createRoute,
  updateRoute,
  moveRoute,
  deleteRoute,
  previewRoute,
  listDeliveries,
  retryDelivery,
});
