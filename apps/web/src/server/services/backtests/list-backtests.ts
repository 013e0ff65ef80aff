import 'server-only';
import { listBacktestJobs } from '@peregrine/db';
import { db } from '../../db';
import { type BacktestView, backtestView } from './backtest-view';

/** The organisation's backtests, newest first (of one rule set or version when given), without counts. */
export async function listBacktests(
  organizationId: string,
  filter: { ruleSetId?: string | undefined; versionId?: string | undefined; limit: number },
): Promise<BacktestView[]> {
  const jobs = await listBacktestJobs(db(), organizationId, {
    limit: filter.limit,
    ...(filter.ruleSetId ? { ruleSetId: filter.ruleSetId } : {}),
    ...(filter.versionId ? { versionId: filter.versionId } : {}),
  });
  return jobs.map((j) => backtestView(j));
}
