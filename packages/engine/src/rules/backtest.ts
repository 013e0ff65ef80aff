/**
 * Backtest: a draft rule set against the active one over recorded events. Each event is
 * evaluated by both; the alerts the draft would add or remove are counted per rule, with a few
 * samples each. Memory stays bounded however many events stream through: counts per rule, and
 * at most `samplesPerRule` samples per rule and kind of change, handed out by `takeSamples()`.
 *
 * A rule whose condition is the same on both sides (same source, same expanded condition) is
 * checked once per event and its answer shared: a draft usually changes a few rules of many, so
 * a backtest costs little more than evaluating one set.
 */
import type { Expr } from '../condition/ast.js';
import type { CompiledRule } from './compile.js';
import type { Alert, RuleSet } from './ruleset.js';

/** How an alert of one rule differs between the two sets on one event. */
export type BacktestChangeKind = 'added' | 'removed';

/** One event on which a rule's alert appears (added) or disappears (removed), to open. */
export interface BacktestSample {
  rule: string;
  change: BacktestChangeKind;
  /** Where the event came from (e.g. `raw:123`, `alert:456`), for opening it. */
  ref: string;
  source: string;
  /** The event as it was evaluated. */
  event: unknown;
  /** The alerts each set raises on the event, in Falco's shape. */
  activeAlerts: Alert[];
  draftAlerts: Alert[];
}

/** Alert counts of one rule: only the draft raises it, only the active set, or both. */
export interface BacktestRuleCounts {
  rule: string;
  /** Alerts only the draft raises. */
  added: number;
  /** Alerts only the active set raises. */
  removed: number;
  /** Alerts both raise on the same event. */
  unchanged: number;
  /** Samples taken so far of each kind (at most `samplesPerRule`). */
  addedSamples: number;
  removedSamples: number;
}

/** Everything a tally has counted: JSON-safe, and enough to resume it (`BacktestTally.resume`). */
export interface BacktestTallyState {
  events: number;
  /** Events both sets answered the same way (the same rules, or none). */
  unchanged: number;
  /** Alerts raised by each side in all. */
  activeAlerts: number;
  draftAlerts: number;
  /** Events the engine could not evaluate (counted, never silently dropped). */
  failed: number;
  /** Rules that fired on either side, most changed first. */
  rules: BacktestRuleCounts[];
}

/** What `add` saw: the rules each set fired on the event (empty arrays when it failed). */
export interface BacktestVerdict {
  active: readonly string[];
  draft: readonly string[];
  failed: boolean;
}

const NONE: readonly string[] = Object.freeze([]);
const FAILED: BacktestVerdict = Object.freeze({ active: NONE, draft: NONE, failed: true });
const QUIET: BacktestVerdict = Object.freeze({ active: NONE, draft: NONE, failed: false });

/** A condition's identity: its expanded AST without source positions. */
function conditionKey(source: string, expr: Expr): string {
  return `${source}\u0000${JSON.stringify(expr, (key, value) => (key === 'pos' || key === 'end' ? undefined : value))}`;
}

interface Side {
  set: RuleSet;
  first: boolean;
  /** Slot numbers of each candidate list the set hands out (keyed by the list's identity). */
  slots: Map<readonly CompiledRule[], Int32Array>;
}

export class BacktestTally {
  private events = 0;
  private unchanged = 0;
  private activeAlerts = 0;
  private draftAlerts = 0;
  private failed = 0;
  private readonly byRule = new Map<string, BacktestRuleCounts>();
  private pending: BacktestSample[] = [];
  private readonly active: Side;
  private readonly draft: Side;
  /** Shared condition results of the current event: `stamp[slot] === epoch` when known. */
  private readonly slotOf = new Map<CompiledRule, number>();
  private readonly slotRule: CompiledRule[] = [];
  private stamp = new Uint32Array(0);
  private value = new Uint8Array(0);
  private epoch = 0;

  constructor(
    active: RuleSet,
    draft: RuleSet,
    private readonly samplesPerRule = 5,
  ) {
    const keys = new Map<string, number>();
    for (const r of [...active.activeRules, ...draft.activeRules]) {
      if (this.slotOf.has(r)) continue;
      const key = conditionKey(r.source, r.expandedCondition);
      let slot = keys.get(key);
      if (slot === undefined) {
        slot = this.slotRule.length;
        keys.set(key, slot);
        this.slotRule.push(r);
      }
      this.slotOf.set(r, slot);
    }
    this.stamp = new Uint32Array(this.slotRule.length);
    this.value = new Uint8Array(this.slotRule.length);
    this.active = { set: active, first: active.options.ruleMatching === 'first', slots: new Map() };
    this.draft = { set: draft, first: draft.options.ruleMatching === 'first', slots: new Map() };
  }

  /** A tally that goes on from `state` (a checkpoint of an earlier run over the same sets). */
  static resume(
    active: RuleSet,
    draft: RuleSet,
    state: BacktestTallyState,
    samplesPerRule = 5,
  ): BacktestTally {
    const t = new BacktestTally(active, draft, samplesPerRule);
    t.events = state.events;
    t.unchanged = state.unchanged;
    t.activeAlerts = state.activeAlerts;
    t.draftAlerts = state.draftAlerts;
    t.failed = state.failed;
    for (const r of state.rules) t.byRule.set(r.rule, { ...r });
    return t;
  }

  /** How many distinct conditions the rules both sets run hold (shared ones counted once). */
  get distinctConditions(): number {
    return this.slotRule.length;
  }

  /** Evaluates one event with both sets and records the difference. */
  add(ref: string, event: unknown, source: string): BacktestVerdict {
    this.events++;
    let before: readonly string[];
    let after: readonly string[];
    try {
      this.epoch = (this.epoch + 1) >>> 0;
      if (this.epoch === 0) {
        this.stamp.fill(0);
        this.epoch = 1;
      }
      before = this.fired(this.active, event, source);
      after = this.fired(this.draft, event, source);
    } catch {
      this.failed++;
      return FAILED;
    }
    this.activeAlerts += before.length;
    this.draftAlerts += after.length;
    if (before.length === 0 && after.length === 0) {
      this.unchanged++;
      return QUIET;
    }
    let same = before.length === after.length;
    let sample: { activeAlerts: Alert[]; draftAlerts: Alert[] } | undefined;
    const takeSample = (rule: string, change: BacktestChangeKind) => {
      if (!sample) {
        // Rendering is left out of the counting path; a sampled event is evaluated again in full.
        try {
          sample = {
            activeAlerts: this.active.set.evaluate(event, source),
            draftAlerts: this.draft.set.evaluate(event, source),
          };
        } catch {
          sample = { activeAlerts: [], draftAlerts: [] };
        }
      }
      this.pending.push({ rule, change, ref, source, event, ...sample });
    };
    for (const name of after) {
      const c = this.counts(name);
      if (before.includes(name)) {
        c.unchanged++;
        continue;
      }
      same = false;
      c.added++;
      if (c.addedSamples < this.samplesPerRule) {
        c.addedSamples++;
        takeSample(name, 'added');
      }
    }
    for (const name of before) {
      if (after.includes(name)) continue;
      same = false;
      const c = this.counts(name);
      c.removed++;
      if (c.removedSamples < this.samplesPerRule) {
        c.removedSamples++;
        takeSample(name, 'removed');
      }
    }
    if (same) this.unchanged++;
    return { active: before, draft: after, failed: false };
  }

  /**
   * Counts `n` events known to have no candidate rule in either set (storedEventSkip) without
   * seeing them: exactly what `add` would have counted for each (evaluated, unchanged, no alert).
   */
  addUnmatched(n: number): void {
    this.events += n;
    this.unchanged += n;
  }

  /** Names of the rules of one side that fire on the event, in evaluation order. */
  private fired(side: Side, event: unknown, source: string): readonly string[] {
    const candidates = side.set.candidates(event, source);
    if (candidates.length === 0) return NONE;
    let slots = side.slots.get(candidates);
    if (!slots) {
      slots = Int32Array.from(candidates, (r) => this.slotOf.get(r) ?? -1);
      side.slots.set(candidates, slots);
    }
    let out: string[] | undefined;
    for (let i = 0; i < candidates.length; i++) {
      const rule = candidates[i] as CompiledRule;
      const slot = slots[i] as number;
      let hit: boolean;
      if (slot < 0) hit = rule.filter(event);
      else if (this.stamp[slot] === this.epoch) hit = this.value[slot] === 1;
      else {
        hit = rule.filter(event);
        this.stamp[slot] = this.epoch;
        this.value[slot] = hit ? 1 : 0;
      }
      if (!hit) continue;
      if (out === undefined) out = [rule.name];
      else out.push(rule.name);
      if (side.first) break;
    }
    return out ?? NONE;
  }

  private counts(rule: string): BacktestRuleCounts {
    let c = this.byRule.get(rule);
    if (!c) {
      c = { rule, added: 0, removed: 0, unchanged: 0, addedSamples: 0, removedSamples: 0 };
      this.byRule.set(rule, c);
    }
    return c;
  }

  /** Samples taken since the last call (each handed out once, then forgotten here). */
  takeSamples(): BacktestSample[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }

  /** The counts so far (also usable as progress while events stream, and to resume). */
  state(): BacktestTallyState {
    return {
      events: this.events,
      unchanged: this.unchanged,
      activeAlerts: this.activeAlerts,
      draftAlerts: this.draftAlerts,
      failed: this.failed,
      rules: [...this.byRule.values()]
        .map((c) => ({ ...c }))
        .sort(
          (a, b) =>
            b.added + b.removed - (a.added + a.removed) ||
            b.unchanged - a.unchanged ||
            a.rule.localeCompare(b.rule),
        ),
    };
  }
}
