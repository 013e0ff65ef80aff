import { z } from 'zod';

export const deleteRouteInput = z.object({ routeId: z.uuid() });
export const deleteRouteOutput = z.object({ routeId: z.string() });
