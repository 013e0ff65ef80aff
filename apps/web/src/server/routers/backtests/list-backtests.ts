import { listBacktests as listService } from '../../services/backtests/list-backtests';
import { orgActorProcedure } from '../../trpc';
import { listBacktestsInput, listBacktestsOutput } from './list-backtests.schema';

/** The organisation's backtests, newest first, of one rule set or version when asked. */
export const listBacktests = orgActorProcedure('viewer')
  .input(listBacktestsInput)
  .output(listBacktestsOutput)
  .query(({ ctx, input }) => listService(ctx.org.id, input));
