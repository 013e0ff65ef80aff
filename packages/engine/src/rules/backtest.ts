/**
 * Backtest: a draft rule set against the active one over recorded events. Each event is
 * evaluated by both; the alerts the draft would add or remove are counted per rule, with a few
 * samples each. Memory stays bounded however many events stream through (counts plus at most
 * `samplesPerRule` samples per rule and side).
 */
import type { RuleSet } from './ruleset.js';

/** An alert the draft would raise that the active set does not (or the reverse). */
export interface BacktestSample {
  /** Where the event came from (e.g. `raw:123`, `alert:456`), for opening it. */
  ref: string;
  /** The rendered message. */
  output: string;
}

export interface BacktestRuleChange {
  rule: string;
  /** Alerts only the draft raises. */
  added: number;
  /** Alerts only the active set raises. */
  removed: number;
  addedSamples: BacktestSample[];
  removedSamples: BacktestSample[];
}

export interface BacktestSummary {
  events: number;
  /** Events both sets answered the same way. */
  unchanged: number;
  /** Alerts raised by each side in all. */
  activeAlerts: number;
  draftAlerts: number;
  /** Events the engine could not evaluate (counted, never silently dropped). */
  failed: number;
  rules: BacktestRuleChange[];
}

export class BacktestTally {
  private events = 0;
  private unchanged = 0;
  private activeAlerts = 0;
  private draftAlerts = 0;
  private failed = 0;
  private readonly byRule = new Map<string, BacktestRuleChange>();

  constructor(
    private readonly active: RuleSet,
    private readonly draft: RuleSet,
    private readonly samplesPerRule = 5,
  ) {}

  /** Evaluates one event with both sets and records the difference. */
  add(ref: string, event: unknown, source: string): void {
    this.events++;
    let before: { rule: string; message: string }[];
    let after: { rule: string; message: string }[];
    try {
      before = this.active.evaluate(event, source);
      after = this.draft.evaluate(event, source);
    } catch {
      this.failed++;
      return;
    }
    this.activeAlerts += before.length;
    this.draftAlerts += after.length;
    if (before.length === 0 && after.length === 0) {
      this.unchanged++;
      return;
    }
    let same = before.length === after.length;
    const removed = [...before];
    for (const a of after) {
      const i = removed.findIndex((b) => b.rule === a.rule);
      if (i >= 0) {
        removed.splice(i, 1);
        continue;
      }
      same = false;
      const c = this.change(a.rule);
      c.added++;
      if (c.addedSamples.length < this.samplesPerRule) c.addedSamples.push({ ref, output: a.message });
    }
    for (const b of removed) {
      same = false;
      const c = this.change(b.rule);
      c.removed++;
      if (c.removedSamples.length < this.samplesPerRule) c.removedSamples.push({ ref, output: b.message });
    }
    if (same) this.unchanged++;
  }

  private change(rule: string): BacktestRuleChange {
    let c = this.byRule.get(rule);
    if (!c) {
      c = { rule, added: 0, removed: 0, addedSamples: [], removedSamples: [] };
      this.byRule.set(rule, c);
    }
    return c;
  }

  /** The result so far (also usable as progress while events stream). */
  summary(): BacktestSummary {
    return {
      events: this.events,
      unchanged: this.unchanged,
      activeAlerts: this.activeAlerts,
      draftAlerts: this.draftAlerts,
      failed: this.failed,
      rules: [...this.byRule.values()]
        .map((c) => ({ ...c, addedSamples: [...c.addedSamples], removedSamples: [...c.removedSamples] }))
        .sort((a, b) => b.added + b.removed - (a.added + a.removed) || a.rule.localeCompare(b.rule)),
    };
  }
}
