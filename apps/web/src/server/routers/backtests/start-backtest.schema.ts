import { z } from 'zod';
import { uuid } from '../rules/rules-common.schema';

const DAY_MS = 86_400_000;

export const startBacktestInput = z
  .object({
    versionId: uuid,
    environmentId: uuid,
    /** Event sources to replay (engine names: `k8s_audit`, `aws_cloudtrail`...); empty: all. */
    sources: z.array(z.string().min(1).max(64)).max(20).default([]),
    from: z.iso.datetime({ offset: true }).transform((s) => new Date(s)),
    to: z.iso.datetime({ offset: true }).transform((s) => new Date(s)),
  })
  .refine((i) => i.from.getTime() < i.to.getTime(), {
    message: 'The range must end after it starts',
    path: ['to'],
  })
  .refine((i) => i.to.getTime() - i.from.getTime() <= 366 * DAY_MS, {
    message: 'A backtest covers at most a year',
    path: ['from'],
  });
