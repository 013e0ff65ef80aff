import { z } from 'zod';
import { deliveryItem } from './notification.schema';

export const listDeliveriesInput = z
  .object({
    status: z.enum(['queued', 'sending', 'delivered', 'dead']).optional(),
    limit: z.number().int().min(1).max(500).default(50),
  })
  .default({ limit: 50 });
export const listDeliveriesOutput = z.array(deliveryItem);
