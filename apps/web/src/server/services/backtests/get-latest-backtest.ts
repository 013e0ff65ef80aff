import 'server-only';
import { getLatestBacktestJob } from '@peregrine/db';
import { db } from '../../db';
import { type BacktestView, backtestView } from './backtest-view';

/**
 * The newest backtest of a version against an environment, with its counts so far (or its
 * result), or null when none was run there: another organisation's version or environment finds
 * none either.
 */
export async function getLatestBacktest(
  organizationId: string,
  input: { versionId: string; environmentId: string },
): Promise<BacktestView | null> {
  const job = await getLatestBacktestJob(db(), organizationId, input);
  return job ? backtestView(job) : null;
}
