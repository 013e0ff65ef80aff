import 'server-only';
import { type BacktestSampleDto, getBacktestJob, listBacktestSamples as listSamples } from '@peregrine/db';
import type { Alert } from '@peregrine/engine';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';

/** Sample events of a backtest (of one rule and change when given), each with both sides' alerts. */
export async function listBacktestSamples(
  organizationId: string,
  input: { id: string; rule?: string | undefined; change?: 'added' | 'removed' | undefined },
): Promise<(BacktestSampleDto & { activeAlerts: Alert[]; draftAlerts: Alert[] })[]> {
  const job = await getBacktestJob(db(), organizationId, input.id);
  if (!job) throw new AppError('NOT_FOUND', 'Backtest not found.');
  const samples = await listSamples(db(), organizationId, {
    jobId: job.id,
    limit: 200,
    ...(input.rule ? { rule: input.rule } : {}),
    ...(input.change ? { change: input.change } : {}),
  });
  // The runner stored the engine's alerts as JSON (big integers read back as decimal strings);
  // the procedure's output schema checks the shape.
  return samples.map((s) => ({
    ...s,
    activeAlerts: s.activeAlerts as Alert[],
    draftAlerts: s.draftAlerts as Alert[],
  }));
}
