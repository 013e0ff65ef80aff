import { createTRPCRouter } from '../../trpc';
import { cancelBacktest } from './cancel-backtest';
import { getBacktest } from './get-backtest';
import { getLatestBacktest } from './get-latest-backtest';
import { listBacktestSamples } from './list-backtest-samples';
import { listBacktests } from './list-backtests';
import { startBacktest } from './start-backtest';

/** Backtests: a version against what an environment runs, over stored events (run by a collector). */
export const backtestsRouter = createTRPCRouter({
  start: startBacktest,
  get: getBacktest,
  latest: getLatestBacktest,
  list: listBacktests,
  cancel: cancelBacktest,
  listSamples: listBacktestSamples,
});
