import type {
  BacktestCursor,
  BacktestPosition,
  BacktestSampleInput,
  BacktestStore,
  ClaimedBacktestJob,
} from '@peregrine/db';
import {
  BacktestTally,
  builtinSources,
  type LoadResult,
  load,
  loadWithOverrides,
  type RuleSet,
  storedEventSkip,
} from '@peregrine/engine';
import type { BacktestResult } from '@peregrine/protocol';
import { groupAlertEvents } from './alert-events.js';

/** How a run ended. `stopped`: the runner is shutting down (the job goes back to the queue). */
export type RunOutcome = 'done' | 'cancelled' | 'lost' | 'stopped';

export interface RunOptions {
  runnerId: string;
  /** Rows per page (each scan holds two: one evaluated, the next on its way). */
  pageRows: number;
  /** Scans read side by side (each holds a database connection while it reads). */
  scans: number;
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
 * streams the stored events page by page in (time, id) order, one scan per source of raw events
 * and one of the events behind alerts whose event was not kept, `scans` of them side by side (so
 * Postgres reads for one while this process evaluates another's page), evaluating each event
 * with both. Checkpoints carry everything a resumed run needs (positions, counts, samples), so
 * a job survives its runner. Raw events that no rule of either version can act on (each rule's
 * condition translated into a test of the stored JSON, storedEventSkip) stay in the database:
 * Postgres runs the test and sends only the others, and they are counted as evaluated without an
 * alert.
 */
export async function runBacktest(
  store: BacktestStore,
  job: ClaimedBacktestJob,
  knownSources: readonly string[],
  options: RunOptions,
): Promise<RunOutcome> {
  let lastCheckpoint = performance.now();
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
  // Raw events no rule of either version can act on are left in the database, only counted.
  const skips = new Map(scanned.map((s) => [s, storedEventSkip([active, draft], s)]));

  // One scan per source of raw events, and one of alerts; none when no rule reads anything.
  const cursor: BacktestCursor = { scans: { ...job.cursor?.scans } };
  const scans = scanned.length === 0 ? [] : [...scanned.map((s) => `raw:${s}`), 'alerts'];
  let size = new Map<string, number>();
  if (!job.cursor) {
    const counts = await store.countEvents(job, wanted);
    let total = 0;
    let skipped = 0;
    for (const [source, n] of [...counts.raw, ...counts.alerts]) {
      total += n;
      if (!read.has(source)) skipped += n;
    }
    result.skipped.events = skipped;
    size = new Map([...counts.raw].map(([source, n]) => [`raw:${source}`, n]));
    size.set(
      'alerts',
      [...counts.alerts].reduce((a, [source, n]) => a + (read.has(source) ? n : 0), 0),
    );
    if (!(await store.setTotal(job.id, options.runnerId, total))) return 'lost';
  }
  // The largest scans first, so the side-by-side scans end close together.
  const todo = scans.filter((s) => cursor.scans[s] !== 'done');
  todo.sort((a, b) => (size.get(b) ?? 0) - (size.get(a) ?? 0) || a.localeCompare(b));

  let samples: BacktestSampleInput[] = [];
  const snapshot = () => {
    result.tally = tally.state();
    const now = performance.now();
    // Copies: a scan may move on while a checkpoint is being written.
    const out = {
      eventsScanned: result.tally.events + result.skipped.events,
      cursor: { scans: { ...cursor.scans } },
      result: structuredClone(result),
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

  type Page = { after: BacktestPosition | null; apply: () => void };
  const fetchPage = async (scan: string, after: BacktestPosition | null): Promise<Page> => {
    if (scan.startsWith('raw:')) {
      const source = scan.slice('raw:'.length);
      const page = await store.rawEvents(job, source, after, options.pageRows, skips.get(source));
      return {
        after: page.after,
        apply: () => {
          for (const row of page.rows) tally.add(`raw:${row.id}`, row.payload, source);
          tally.addUnmatched(page.skipped);
          result.raw.events += page.rows.length + page.skipped;
          keepSamples((ref) => page.rows.find((r) => `raw:${r.id}` === ref)?.time ?? 'epoch');
        },
      };
    }
    const page = await store.alertEvents(job, scanned, after, options.pageRows);
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
  };

  // Why the scans stopped early, once one of them knows.
  let halt: 'cancelled' | 'lost' | 'stopped' | undefined;
  let checkpointing: Promise<void> | undefined;
  const checkpoint = async () => {
    const answer = await store.checkpoint(job.id, options.runnerId, snapshot());
    if (answer.lost) halt = 'lost';
    else if (answer.cancelRequested) halt ??= 'cancelled';
  };
  /** One scan to its end: the next page is read while this one is evaluated. */
  const runScan = async (scan: string) => {
    const at = cursor.scans[scan];
    let pending: Promise<Page> | null = fetchPage(scan, at && at !== 'done' ? at : null);
    while (pending && !halt) {
      const page: Page = await pending;
      if (halt) break;
      pending = page.after ? fetchPage(scan, page.after) : null;
      // Swallowed here, raised when awaited: a failed read ahead must not go unhandled while
      // this page is evaluated and checkpointed.
      pending?.catch(() => {});
      page.apply();
      cursor.scans[scan] = page.after ?? 'done';
      if (options.stopping()) halt ??= 'stopped';
      else if (!checkpointing && performance.now() - lastCheckpoint >= options.checkpointMs) {
        checkpointing = checkpoint().finally(() => {
          checkpointing = undefined;
        });
        await checkpointing;
      }
    }
    await pending?.catch(() => null);
  };
  const queue = [...todo];
  const worker = async () => {
    for (let scan = queue.shift(); scan !== undefined && !halt; scan = queue.shift()) await runScan(scan);
  };
  await Promise.all(Array.from({ length: Math.max(1, options.scans) }, worker));
  await checkpointing;

  if (halt === 'lost') return 'lost';
  if (halt === 'stopped')
    return (await store.release(job.id, options.runnerId, snapshot())) ? 'stopped' : 'lost';
  const status = halt === 'cancelled' ? 'cancelled' : 'done';
  const ok = await store.finish(job.id, options.runnerId, { ...snapshot(), status });
  return ok ? status : 'lost';
}
