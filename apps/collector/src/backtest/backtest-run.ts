import type { BacktestCursor, BacktestSampleInput, BacktestStore, ClaimedBacktestJob } from '@peregrine/db';
import {
  BacktestTally,
  builtinSources,
  type LoadResult,
  load,
  loadWithOverrides,
  type RuleSet,
} from '@peregrine/engine';
import type { BacktestResult } from '@peregrine/protocol';
import { groupAlertEvents } from './alert-events.js';

/** How a run ended. `stopped`: the runner is shutting down (the job goes back to the queue). */
export type RunOutcome = 'done' | 'cancelled' | 'lost' | 'stopped';

export interface RunOptions {
  runnerId: string;
  /** Rows per page (two pages are in memory at once: one evaluated, the next on its way). */
  pageRows: number;
  /** A checkpoint (progress, heartbeat, cancel check) at least this often while running. */
  checkpointMs: number;
  /** Samples kept per rule and kind of change. */
  samplesPerRule: number;
  /** True once the runner is asked to stop (checked between pages). */
  stopping: () => boolean;
}

/** A backtest whose rules do not compile (an error that retrying cannot fix). */
export class BacktestCompileError extends Error {}

function compile(
  files: ClaimedBacktestJob['draftFiles'],
  overrides: ClaimedBacktestJob['overrides'],
  sources: ReturnType<typeof builtinSources>,
  what: string,
): RuleSet {
  const options = { sources };
  const result: LoadResult =
    files.length === 0
      ? load([], options)
      : loadWithOverrides(files, { lists: overrides.lists ?? {}, macros: overrides.macros ?? {} }, options);
  if (!result.ok) {
    const first = result.diagnostics.find((d) => d.severity === 'error');
    throw new BacktestCompileError(
      `The ${what} does not compile with the environment's overrides${first ? `: ${first.range.file}:${first.range.start.line}: ${first.message}` : '.'}`,
    );
  }
  return result.ruleset;
}

const sourcesOf = (set: RuleSet) => new Set(set.activeRules.map((r) => r.source));

/**
 * Runs one claimed backtest to its end, or until it is cancelled, lost to another runner or the
 * runner stops: compiles both versions once (with one fresh set of event sources, so stateful
 * fields such as Okta's MFA counters start from nothing and never touch live evaluation), then
 * streams the stored events page by page in (time, id) order, raw events of each source and then
 * alerts whose event was not kept, evaluating each with both. Checkpoints carry everything a
 * resumed run needs (cursor, counts, samples), so a job survives its runner.
 */
export async function runBacktest(
  store: BacktestStore,
  job: ClaimedBacktestJob,
  knownSources: readonly string[],
  options: RunOptions,
): Promise<RunOutcome> {
  const started = performance.now();
  let lastCheckpoint = started;
  const sources = builtinSources();
  const active = compile(job.baselineFiles, job.overrides, sources, 'active version');
  const draft = compile(job.draftFiles, job.overrides, sources, 'draft');
  const wanted = job.sources.length > 0 ? job.sources : [...knownSources];
  const read = new Set([...sourcesOf(active), ...sourcesOf(draft)]);
  const scanned = wanted.filter((s) => read.has(s)).sort();
  const skippedSources = wanted.filter((s) => !read.has(s)).sort();

  const saved = job.cursor ? (job.result as BacktestResult | null) : null;
  const tally = saved
    ? BacktestTally.resume(active, draft, saved.tally, options.samplesPerRule)
    : new BacktestTally(active, draft, options.samplesPerRule);
  const result: BacktestResult = saved ?? {
    tally: tally.state(),
    raw: { events: 0 },
    alerts: { events: 0, alerts: 0, comparable: 0, reproduced: 0 },
    skipped: { events: 0, sources: skippedSources },
    sources: scanned,
    rules: { active: 0, draft: 0, distinctConditions: 0 },
  };
  result.rules = {
    active: active.activeRules.length,
    draft: draft.activeRules.length,
    distinctConditions: tally.distinctConditions,
  };
  const activeRules = new Set(active.activeRules.map((r) => r.name));

  let cursor: BacktestCursor = job.cursor ?? start(scanned);
  if (!job.cursor) {
    const counts = await store.countEvents(job, wanted);
    let total = 0;
    let skipped = 0;
    for (const [source, n] of [...counts.raw, ...counts.alerts]) {
      total += n;
      if (!read.has(source)) skipped += n;
    }
    result.skipped.events = skipped;
    if (!(await store.setTotal(job.id, options.runnerId, total))) return 'lost';
  }

  let samples: BacktestSampleInput[] = [];
  const snapshot = () => {
    result.tally = tally.state();
    const now = performance.now();
    const out = {
      eventsScanned: result.tally.events + result.skipped.events,
      cursor,
      result,
      runMs: now - lastCheckpoint,
      samples,
    };
    lastCheckpoint = now;
    samples = [];
    return out;
  };
  const keepSamples = (timeOf: (ref: string) => string) => {
    for (const s of tally.takeSamples()) {
      samples.push({
        rule: s.rule,
        change: s.change,
        ref: s.ref,
        source: s.source,
        eventTime: timeOf(s.ref),
        event: s.event,
        activeAlerts: s.activeAlerts,
        draftAlerts: s.draftAlerts,
      });
    }
  };

  type Page = { after: { time: string; id: string } | null; apply: () => void };
  const fetchPage = async (at: BacktestCursor): Promise<Page | null> => {
    if (at.phase === 'raw') {
      const source = at.source;
      const page = await store.rawEvents(job, source, after(at), options.pageRows);
      return {
        after: page.after,
        apply: () => {
          for (const row of page.rows) tally.add(`raw:${row.id}`, row.payload, source);
          result.raw.events += page.rows.length;
          keepSamples((ref) => page.rows.find((r) => `raw:${r.id}` === ref)?.time ?? 'epoch');
        },
      };
    }
    if (at.phase === 'alerts') {
      const page = await store.alertEvents(job, scanned, after(at), options.pageRows);
      return {
        after: page.after,
        apply: () => {
          const events = groupAlertEvents(page.rows);
          for (const e of events) {
            const verdict = tally.add(e.ref, e.event, e.source);
            result.alerts.alerts += e.rules.length;
            for (const rule of e.rules) {
              if (!activeRules.has(rule)) continue;
              result.alerts.comparable++;
              if (verdict.active.includes(rule)) result.alerts.reproduced++;
            }
          }
          result.alerts.events += events.length;
          keepSamples((ref) => events.find((e) => e.ref === ref)?.time ?? 'epoch');
        },
      };
    }
    return null;
  };

  // One page is evaluated while the next one is read: Postgres and the evaluation overlap.
  let pending = fetchPage(cursor);
  for (;;) {
    const page = await pending;
    if (!page) break;
    const next = advance(cursor, page.after, scanned);
    pending = fetchPage(next);
    // Swallowed here, raised when awaited: a failed prefetch must not become an unhandled rejection
    // while this page is being checkpointed.
    pending.catch(() => {});
    page.apply();
    cursor = next;
    const stop = options.stopping();
    if (stop || performance.now() - lastCheckpoint >= options.checkpointMs) {
      if (stop) {
        await pending.catch(() => null);
        return (await store.release(job.id, options.runnerId, snapshot())) ? 'stopped' : 'lost';
      }
      const answer = await store.checkpoint(job.id, options.runnerId, snapshot());
      if (answer.lost) return 'lost';
      if (answer.cancelRequested) {
        await pending.catch(() => null);
        const ok = await store.finish(job.id, options.runnerId, { ...snapshot(), status: 'cancelled' });
        return ok ? 'cancelled' : 'lost';
      }
    }
  }
  const ok = await store.finish(job.id, options.runnerId, { ...snapshot(), status: 'done' });
  return ok ? 'done' : 'lost';
}

function start(scanned: readonly string[]): BacktestCursor {
  const first = scanned[0];
  return first === undefined
    ? { phase: 'done' }
    : { phase: 'raw', source: first, time: '-infinity', id: '0' };
}

function after(at: BacktestCursor): { time: string; id: string } | null {
  if (at.phase === 'done' || at.time === '-infinity') return null;
  return { time: at.time, id: at.id };
}

/** The position after a page: further in the phase, or the start of the next one. */
function advance(
  at: BacktestCursor,
  next: { time: string; id: string } | null,
  scanned: readonly string[],
): BacktestCursor {
  if (at.phase === 'done') return at;
  if (next) return { ...at, ...next };
  if (at.phase === 'alerts') return { phase: 'done' };
  const i = scanned.indexOf(at.source);
  const following = scanned[i + 1];
  return following === undefined
    ? { phase: 'alerts', time: '-infinity', id: '0' }
    : { phase: 'raw', source: following, time: '-infinity', id: '0' };
}
