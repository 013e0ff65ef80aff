import { z } from 'zod';

export const sendTestNotificationInput = z.object({ channelId: z.uuid() });
/** The delivery to watch in the log (a collector sends it within its poll interval). */
export const sendTestNotificationOutput = z.object({ deliveryId: z.string() });
