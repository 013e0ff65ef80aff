import { z } from 'zod';
import { uuid } from '../rules/rules-common.schema';
import { backtestOutput } from './backtests-common.schema';

export const getLatestBacktestInput = z.object({ versionId: uuid, environmentId: uuid });

/** The newest backtest of the version against the environment, with its counts; null when none. */
export const getLatestBacktestOutput = backtestOutput.nullable();
