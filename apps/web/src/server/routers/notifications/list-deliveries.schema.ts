import { z } from 'zod';
import { deliveryItem } from './notification.schema';

export const listDeliveriesInput = z
  .object({
    status: z.enum(['queued', 'sending', 'delivered', 'dead']).optional(),
    /** `alert`: about one alert group (trigger, held trigger, resolve); `digest`: digests. */
    kind: z.enum(['alert', 'digest']).optional(),
    routeId: z.uuid().optional(),
    limit: z.number().int().min(1).max(500).default(50),
  })
  .default({ limit: 50 });
export const listDeliveriesOutput = z.array(deliveryItem);
