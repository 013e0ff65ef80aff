import { listDeliveries as listDeliveriesService } from '../../services/notifications/list-deliveries';
import { orgActorProcedure } from '../../trpc';
import { listDeliveriesInput, listDeliveriesOutput } from './list-deliveries.schema';

/** Admins see recent deliveries and dead letters with their last error. */
export const listDeliveries = orgActorProcedure('admin')
  .input(listDeliveriesInput)
  .output(listDeliveriesOutput)
  .query(({ ctx, input }) => listDeliveriesService({ organizationId: ctx.org.id, ...input }));
