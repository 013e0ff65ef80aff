import { z } from 'zod';
import { alertFilterSchema, isoDate, prioritySchema } from '../alerts/alert-filter.schema';

export const getAlertDashboardInput = z.object({ filter: alertFilterSchema });

const counts = z.array(z.object({ key: z.string(), count: z.number() }));

export const getAlertDashboardOutput = z.object({
  from: isoDate,
  to: isoDate,
  bucketSeconds: z.number(),
  total: z.number(),
  byPriority: z.array(z.object({ priority: prioritySchema, count: z.number() })),
  overTime: z.array(z.object({ bucket: isoDate, priority: prioritySchema, count: z.number() })),
  topRules: counts,
  bySource: counts,
  byHost: counts,
  byNamespace: counts,
  byStatus: counts,
});
