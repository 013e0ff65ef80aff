import { startBacktest as startService } from '../../services/backtests/start-backtest';
import { orgActorProcedure } from '../../trpc';
import { backtestOutput } from './backtests-common.schema';
import { startBacktestInput } from './start-backtest.schema';

/** Authors queue a backtest of a version against what an environment runs; a collector runs it. */
export const startBacktest = orgActorProcedure('author')
  .input(startBacktestInput)
  .output(backtestOutput)
  .mutation(({ ctx, input }) => startService({ organizationId: ctx.org.id, actor: ctx.actor }, input));
