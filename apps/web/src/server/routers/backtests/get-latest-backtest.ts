import { getLatestBacktest as getLatestService } from '../../services/backtests/get-latest-backtest';
import { orgActorProcedure } from '../../trpc';
import { getLatestBacktestInput, getLatestBacktestOutput } from './get-latest-backtest.schema';

/** What a promotion or rollback review shows: the version's latest backtest against the target. */
export const getLatestBacktest = orgActorProcedure('viewer')
  .input(getLatestBacktestInput)
  .output(getLatestBacktestOutput)
  .query(({ ctx, input }) => getLatestService(ctx.org.id, input));
