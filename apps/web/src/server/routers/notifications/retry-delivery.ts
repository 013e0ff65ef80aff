import { retryDelivery as retryDeliveryService } from '../../services/notifications/retry-delivery';
import { orgActorProcedure } from '../../trpc';
import { retryDeliveryInput, retryDeliveryOutput } from './retry-delivery.schema';

/** Admins queue a dead notification again, with a fresh set of attempts. */
export const retryDelivery = orgActorProcedure('admin')
  .input(retryDeliveryInput)
  .output(retryDeliveryOutput)
  .mutation(({ ctx, input }) =>
    retryDeliveryService({ organizationId: ctx.org.id, deliveryId: input.deliveryId, actor: ctx.actor }),
  );
