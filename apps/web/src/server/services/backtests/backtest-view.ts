import 'server-only';
import type { BacktestJobDto } from '@peregrine/db';
import { type BacktestResult, BacktestResultSchema } from '@peregrine/protocol';

/** A running backtest whose collector gave no sign of life this long is reported as stalled. */
export const STALLED_AFTER_MS = 60_000;

/** A backtest as the console shows it. */
export interface BacktestView extends Omit<BacktestJobDto, 'result'> {
  result: BacktestResult | null;
  /**
   * Running, but its collector has not checkpointed for a minute: it stopped (crash, restart,
   * lost database). Another collector resumes it from its last checkpoint once its lease is over.
   */
  stalled: boolean;
}

/** The DTO with its result checked against the runner's schema (a result of another shape is left out). */
export function backtestView(job: BacktestJobDto, now = Date.now()): BacktestView {
  const parsed = job.result == null ? null : BacktestResultSchema.safeParse(job.result);
  return {
    ...job,
    result: parsed?.success ? parsed.data : null,
    stalled:
      job.status === 'running' &&
      job.heartbeatAt !== null &&
      now - job.heartbeatAt.getTime() > STALLED_AFTER_MS,
  };
}
