import { backtestId, backtestOutput } from './backtests-common.schema';

export const getBacktestInput = backtestId;
export const getBacktestOutput = backtestOutput;
