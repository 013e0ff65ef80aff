import { cancelBacktest as cancelService } from '../../services/backtests/cancel-backtest';
import { orgActorProcedure } from '../../trpc';
import { cancelBacktestInput, cancelBacktestOutput } from './cancel-backtest.schema';

/** Authors stop a queued or running backtest; what it counted stays. */
export const cancelBacktest = orgActorProcedure('author')
  .input(cancelBacktestInput)
  .output(cancelBacktestOutput)
  .mutation(({ ctx, input }) => cancelService({ organizationId: ctx.org.id, actor: ctx.actor }, input.id));
