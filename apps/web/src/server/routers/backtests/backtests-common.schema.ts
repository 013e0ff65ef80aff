import { BacktestResultSchema } from '@peregrine/protocol';
import { z } from 'zod';
import { isoDate, person } from '../rules/rules-common.schema';

export const backtestStatus = z.enum(['queued', 'running', 'done', 'failed', 'cancelled']);

/** A backtest as every backtests procedure answers it: what against what, where, how far. */
export const backtestOutput = z.object({
  id: z.string(),
  status: backtestStatus,
  ruleSet: z.object({ id: z.string(), name: z.string() }),
  environment: z.object({ id: z.string(), name: z.string(), displayName: z.string() }),
  draft: z.object({ versionId: z.string(), number: z.number().int() }),
  baseline: z.object({ versionId: z.string(), number: z.number().int() }).nullable(),
  sources: z.array(z.string()),
  from: isoDate,
  to: isoDate,
  createdBy: person,
  createdAt: isoDate,
  startedAt: isoDate.nullable(),
  finishedAt: isoDate.nullable(),
  heartbeatAt: isoDate.nullable(),
  cancelRequestedAt: isoDate.nullable(),
  attempts: z.number().int(),
  eventsTotal: z.number().int(),
  eventsScanned: z.number().int(),
  runMs: z.number().int(),
  /** Counts so far while it runs, the result once done (null before the first checkpoint). */
  result: BacktestResultSchema.nullable(),
  error: z.string().nullable(),
  /** Running, but its collector went silent: another one resumes it. */
  stalled: z.boolean(),
});

export const backtestId = z.object({ id: z.uuid() });
