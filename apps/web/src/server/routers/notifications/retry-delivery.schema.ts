import { z } from 'zod';

export const retryDeliveryInput = z.object({ deliveryId: z.uuid() });
export const retryDeliveryOutput = z.object({ deliveryId: z.string() });
