import { listBacktestSamples as listService } from '../../services/backtests/list-backtest-samples';
import { orgActorProcedure } from '../../trpc';
import { listBacktestSamplesInput, listBacktestSamplesOutput } from './list-backtest-samples.schema';

/** A backtest's sample events (of one rule and change), each with the alerts both versions raise. */
export const listBacktestSamples = orgActorProcedure('viewer')
  .input(listBacktestSamplesInput)
  .output(listBacktestSamplesOutput)
  .query(({ ctx, input }) => listService(ctx.org.id, input));
