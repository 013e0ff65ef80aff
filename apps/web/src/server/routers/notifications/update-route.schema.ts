import { z } from 'zod';
import { routeItem, routeSettings } from './notification.schema';

export const updateRouteInput = z.object({ routeId: z.uuid(), settings: routeSettings });
export const updateRouteOutput = routeItem;
