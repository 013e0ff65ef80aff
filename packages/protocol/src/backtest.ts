import { z } from 'zod';

/**
 * A backtest's result as the collector's backtest runner writes it (`backtest_jobs.result`, at
 * every checkpoint and at the end) and the console reads it: the engine's tally (its
 * `BacktestTallyState`) and what the run covered.
 */

/** Alert counts of one rule: only the draft raises it, only the active version, or both. */
export const BacktestRuleCountsSchema = z.object({
  rule: z.string(),
  added: z.number().int(),
  removed: z.number().int(),
  unchanged: z.number().int(),
  addedSamples: z.number().int(),
  removedSamples: z.number().int(),
});

export const BacktestResultSchema = z.object({
  tally: z.object({
    events: z.number().int(),
    /** Events both versions answered the same way. */
    unchanged: z.number().int(),
    activeAlerts: z.number().int(),
    draftAlerts: z.number().int(),
    /** Events the engine could not evaluate. */
    failed: z.number().int(),
    /** Rules that fired on either side, most changed first. */
    rules: z.array(BacktestRuleCountsSchema),
  }),
  /** Raw events evaluated as stored. */
  raw: z.object({ events: z.number().int() }),
  /** Events rebuilt from the output fields of alerts whose event was not kept. */
  alerts: z.object({
    events: z.number().int(),
    /** Stored alerts behind them. */
    alerts: z.number().int(),
    /** Of those, alerts of a rule the active version has... */
    comparable: z.number().int(),
    /** ...and that it raises again on the rebuilt event. */
    reproduced: z.number().int(),
  }),
  /** Events in scope of sources no rule of either version reads: counted, not evaluated. */
  skipped: z.object({ events: z.number().int(), sources: z.array(z.string()) }),
  /** Sources whose events were evaluated. */
  sources: z.array(z.string()),
  /** Rules each side runs, and the distinct conditions among them (shared ones checked once). */
  rules: z.object({
    active: z.number().int(),
    draft: z.number().int(),
    distinctConditions: z.number().int(),
  }),
});

export type BacktestRuleCounts = z.infer<typeof BacktestRuleCountsSchema>;
export type BacktestResult = z.infer<typeof BacktestResultSchema>;
