import { getBacktest as getService } from '../../services/backtests/get-backtest';
import { orgActorProcedure } from '../../trpc';
import { getBacktestInput, getBacktestOutput } from './get-backtest.schema';

/** One backtest: progress while it runs (the page polls it), the per-rule result once done. */
export const getBacktest = orgActorProcedure('viewer')
  .input(getBacktestInput)
  .output(getBacktestOutput)
  .query(({ ctx, input }) => getService(ctx.org.id, input.id));
