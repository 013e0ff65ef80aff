import 'server-only';
import { cancelBacktestJob } from '@peregrine/db';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';
import { withDbErrors } from '../../errors/error-mapping';
import { actorOf, type RulesCaller } from '../rules/rules-shared';
import { type BacktestView, backtestView } from './backtest-view';

/**
 * Stops a backtest: a queued one at once, a running one at its collector's next checkpoint
 * (about a second), keeping what it has counted. A finished one cannot be cancelled. Audited
 * (`backtest.cancel`) when it stopped the job or asked it to stop.
 */
export async function cancelBacktest(caller: RulesCaller, id: string): Promise<BacktestView> {
  const job = await withDbErrors(() => cancelBacktestJob(db(), caller.organizationId, id, actorOf(caller)));
  if (!job) throw new AppError('NOT_FOUND', 'Backtest not found.');
  if (job.status !== 'running' && job.status !== 'cancelled')
    throw new AppError(
      'CONFLICT',
      `This backtest has already ${job.status === 'done' ? 'finished' : 'failed'}.`,
    );
  return backtestView(job);
}
