import { z } from 'zod';
import { routeItem } from './notification.schema';

export const moveRouteInput = z.object({ routeId: z.uuid(), direction: z.enum(['up', 'down']) });
/** Every route in its new order. */
export const moveRouteOutput = z.array(routeItem);
