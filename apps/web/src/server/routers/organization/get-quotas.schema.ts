import { z } from 'zod';

const quota = z.object({ used: z.number().int(), limit: z.number().int() });

export const getQuotasOutput = z.object({ sensors: quota, sources: quota, alertsRetained: quota });
