import { z } from 'zod';
import { uuid } from '../rules/rules-common.schema';
import { backtestOutput } from './backtests-common.schema';

export const listBacktestsInput = z
  .object({
    ruleSetId: uuid.optional(),
    versionId: uuid.optional(),
    limit: z.number().int().min(1).max(100).default(20),
  })
  .default({ limit: 20 });

/** Without counts (`result` is null): a list shows status and progress. */
export const listBacktestsOutput = z.array(backtestOutput);
