import 'server-only';
import { getBacktestJob } from '@peregrine/db';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';
import { type BacktestView, backtestView } from './backtest-view';

/** One backtest of the organisation, with its progress and counts so far. */
export async function getBacktest(organizationId: string, id: string): Promise<BacktestView> {
  const job = await getBacktestJob(db(), organizationId, id);
  if (!job) throw new AppError('NOT_FOUND', 'Backtest not found.');
  return backtestView(job);
}
