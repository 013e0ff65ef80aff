import { backtestId, backtestOutput } from './backtests-common.schema';

export const cancelBacktestInput = backtestId;
export const cancelBacktestOutput = backtestOutput;
