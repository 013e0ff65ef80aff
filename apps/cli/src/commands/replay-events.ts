/**
 * `peregrine replay -r RULES... EVENTS.ndjson`: Falco replaying a capture. Each line of the
 * events file is one event; alerts print as Falco's text lines (or JSON objects with --json),
 * then Falco's end summary (events detected, counts by severity, by rule).
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import {
  type Alert,
  AlertStats,
  builtinSources,
  isGzip,
  isScap,
  type LoadResult,
  parsePriority,
  type RuleSet,
  ScapFormatError,
  ScapReader,
  ScapState,
} from '@peregrine/engine';
import { parseCommandLine, UsageError } from '../args.js';
import type { CliEnv } from '../env.js';
import { readRulesFiles } from '../read-rules.js';
import { fileLineChunks, lineChunks } from './replay/line-chunks.js';
import { alertJson, type ChunkResult, replayChunk } from './replay/replay-chunk.js';
import { ReplayWorkers } from './replay/replay-parallel.js';
import { chunkContext, loadReplayRules, type ReplaySetup } from './replay/replay-rules.js';
import type { Io } from './validate-rules.js';

export const REPLAY_USAGE = `usage: peregrine replay -r RULES [-r RULES...] [options] EVENTS.ndjson|CAPTURE.scap[.gz]|-
  -r, --rules PATH        rules file or directory (repeatable, loaded in order)
  --json                  print alerts as Falco JSON objects
  --source NAME           source of events that do not name one and are not recognised
                          (default: syscall)
  --rule-matching MODE    first (default) or all
  --min-priority P        skip rules less severe than P (e.g. warning)
  --iso8601               ISO-8601 UTC times in the text line
  -D PATTERN              disable rules whose name contains PATTERN (repeatable)
  -T TAG                  disable rules with TAG (repeatable)
  -t TAG                  enable only rules with TAG (repeatable)
  --threads N|auto        worker threads for event lines past the first 16 MiB (default auto:
                          one fewer than the CPUs, none on 2 CPUs or fewer; 1 = one thread)
  --parse-all             parse every event line and build every capture event, also those
                          whose event type no enabled rule can match (lines are otherwise
                          checked and counted, not parsed; capture events update the process
                          and fd tables, not built; the output is the same either way)
  -v, --verbose           say how many events were replayed, how fast, and where`;

function printLoadProblems(result: LoadResult, io: Io): void {
  for (const d of result.diagnostics) {
    const p = d.range.start;
    const item = d.itemName ? ` ${d.itemType} '${d.itemName}'` : '';
    io.err(
      `${d.severity === 'error' ? 'Error' : 'Warning'}: ${d.range.file}:${p.line}:${p.col}:${item}: ${d.code}: ${d.message}\n`,
    );
  }
}

export async function replayEvents(argv: readonly string[], io: Io, env: CliEnv): Promise<number> {
  const args = parseCommandLine({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    tokens: true,
    options: {
      rules: { type: 'string', short: 'r', multiple: true },
      json: { type: 'boolean' },
      source: { type: 'string' },
      'rule-matching': { type: 'string' },
      'min-priority': { type: 'string' },
      iso8601: { type: 'boolean' },
      // Falco's -D (disable rules whose name contains), -T (disable by tag), -t (only these tags).
      'disable-rule': { type: 'string', short: 'D', multiple: true },
      'disable-tag': { type: 'string', short: 'T', multiple: true },
      tag: { type: 'string', short: 't', multiple: true },
      threads: { type: 'string' },
      'parse-all': { type: 'boolean' },
      verbose: { type: 'boolean', short: 'v' },
    },
  });
  const opts = args.values;
  const rulesPaths = opts.rules ?? [];
  if (rulesPaths.length === 0 || args.positionals.length !== 1) throw new UsageError(REPLAY_USAGE);
  const matching = opts['rule-matching'] ?? 'first';
  if (matching !== 'first' && matching !== 'all')
    throw new UsageError(`--rule-matching must be first or all`);
  const minPriority = opts['min-priority'];
  if (minPriority !== undefined && !parsePriority(minPriority))
    throw new UsageError(`invalid priority ${minPriority}`);

  const threadsOpt = opts.threads ?? 'auto';
  // auto: no workers on a machine of two CPUs or fewer, where two workers beside the reading
  // thread measured the same wall time as one thread for 1.65x the CPU (docs/BENCHMARKS.md,
  // "Replay"); one fewer than the CPUs otherwise.
  const cpus = availableParallelism();
  const threads = threadsOpt === 'auto' ? (cpus <= 2 ? 1 : cpus - 1) : Number(threadsOpt);
  if (!Number.isInteger(threads) || threads < 1 || threads > 64)
    throw new UsageError('--threads must be auto or a whole number from 1 to 64');

  const defaultSource = opts.source ?? 'syscall';
  if (!builtinSources().some((s) => s.name === defaultSource))
    throw new UsageError(`unknown source ${defaultSource}`);
  const setup: ReplaySetup = {
    files: await readRulesFiles(rulesPaths),
    load: {
      ruleMatching: matching,
      hostname: env.hostname,
      timeFormatIso8601: opts.iso8601 === true,
      ...(minPriority ? { minPriority } : {}),
    },
    select: { only: opts.tag, disabledNames: opts['disable-rule'], disabledTags: opts['disable-tag'] },
    defaultSource,
    json: opts.json === true,
    parseAll: opts['parse-all'] === true,
    compileCacheDir: env.compileCacheDir,
  };
  const { result, ruleset } = loadReplayRules(setup);
  printLoadProblems(result, io);
  if (!result.ok) {
    io.err('Error: rules could not be loaded; see the errors above.\n');
    return 1;
  }
  const order = new Map(ruleset.rules.map((r, i) => [r.name, i]));
  const stats = new AlertStats();
  const path = args.positionals[0]!;

  // A capture is recognised by its bytes (gzip, then the section header), not its name.
  const kind = path === '-' ? 'ndjson' : await sniffInput(path);
  if (kind !== 'ndjson') {
    const emit = (a: Alert) => {
      stats.add(a, order.get(a.rule));
      io.out(setup.json ? `${alertJson(a)}\n` : `${a.output}\n`);
    };
    const failure = await replayCapture(
      path,
      kind === 'scap.gz',
      ruleset,
      env.hostname,
      emit,
      setup.parseAll,
    );
    io.out(stats.format());
    if (failure) {
      io.err(`Error: ${path}: ${failure}\n`);
      return 1;
    }
    return 0;
  }

  let linesBefore = 0;
  let bad = 0;
  let unparsed = 0;
  let eventsOnWorkers = 0;
  let redone = 0;
  const started = performance.now();
  const take = (r: ChunkResult) => {
    if (r.text) io.out(r.text);
    for (const [rule, priority] of r.alerts) stats.add({ rule, priority }, order.get(rule));
    for (const [line, why] of r.bad) io.err(`Warning: ${path}:${linesBefore + line}: ${why}, skipped\n`);
    bad += r.bad.length;
    unparsed += r.unparsed;
    linesBefore += r.lines;
  };
  // Small inputs stay on this thread (a worker compiles the rules again). For a large one, worker
  // threads start compiling at once (a file) or after the first SINGLE_THREAD_BYTES (a pipe);
  // this thread replays meanwhile and hands the rest over, numbered on, when they are ready.
  // A file's chunks share one buffer (each is replayed before the next is read; the workers copy
  // those they keep).
  const chunks = (
    path === '-' ? lineChunks(process.stdin as AsyncIterable<Uint8Array>) : fileLineChunks(path, CHUNK_BYTES)
  )[Symbol.asyncIterator]();
  const ctx = chunkContext(setup);
  let workers: ReplayWorkers | undefined;
  if (threads > 1 && path !== '-' && (await stat(path)).size >= SINGLE_THREAD_BYTES)
    workers = new ReplayWorkers(setup, threads);
  try {
    let events = 0;
    let bytes = 0;
    for (;;) {
      if (workers?.ready) {
        const before = events;
        await workers.run({ [Symbol.asyncIterator]: () => chunks }, events, (r) => {
          events += r.events;
          take(r);
        });
        eventsOnWorkers = events - before;
        redone = workers.redone;
        break;
      }
      const next = await chunks.next();
      if (next.done) break;
      bytes += next.value.length;
      const result = replayChunk(next.value, events, ctx, ruleset, setup.json);
      events += result.events;
      take(result);
      if (!workers && threads > 1 && bytes >= SINGLE_THREAD_BYTES)
        workers = new ReplayWorkers(setup, threads);
    }
    if (opts.verbose) {
      const seconds = (performance.now() - started) / 1000;
      io.err(
        `Replayed ${events} events from ${linesBefore} lines in ${seconds.toFixed(2)} s ` +
          `(${Math.round(events / seconds)} events/s), ${unparsed} of them not parsed (no rule ` +
          `could match them), ${eventsOnWorkers} of them on ` +
          `${eventsOnWorkers ? threads : 0} worker threads (${redone} chunks replayed again)\n`,
      );
    }
  } finally {
    await workers?.close();
  }
  io.out(stats.format());
  if (bad) io.err(`${bad} malformed event line(s) skipped\n`);
  return 0;
}

/** Bytes read at a time: a chunk of whole lines is at most about this long. */
const CHUNK_BYTES = 1 << 20;
/** Input replayed on the main thread before worker threads take over (see `--threads`). */
const SINGLE_THREAD_BYTES = 16 * CHUNK_BYTES;

/** What a replay input holds, from its first bytes: a capture (plain or gzip) or event lines. */
async function sniffInput(path: string): Promise<'scap' | 'scap.gz' | 'ndjson'> {
  const fh = await open(path, 'r');
  try {
    const head = new Uint8Array(4);
    const { bytesRead } = await fh.read(head, 0, 4, 0);
    const bytes = head.subarray(0, bytesRead);
    if (isScap(bytes)) return 'scap';
    if (!isGzip(bytes)) return 'ndjson';
  } finally {
    await fh.close();
  }
  // gzip: look at the first decompressed bytes.
  const gunzip = createReadStream(path).pipe(createGunzip());
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) return isScap(chunk) ? 'scap.gz' : 'ndjson';
    return 'ndjson';
  } catch {
    return 'ndjson';
  } finally {
    gunzip.destroy();
  }
}

/**
 * Streams a `.scap` / `.scap.gz` capture through the rules, as `falco -e` does: the reader and
 * the thread/fd state come from the engine; memory stays bounded by the largest block.
 * Returns the reason reading stopped early, if it did.
 */
async function replayCapture(
  path: string,
  gzip: boolean,
  ruleset: RuleSet,
  hostname: string | undefined,
  emit: (a: Alert) => void,
  buildAll: boolean,
): Promise<string | undefined> {
  const file = createReadStream(path);
  const input: Readable = gzip ? file.pipe(createGunzip()) : file;
  const reader = new ScapReader();
  // Syscalls are evaluated on their exits, as current Falco's converter does with captures.
  // Events of types no enabled rule can match update the tables but are not built.
  const state = new ScapState({
    enterEvents: false,
    ...(hostname ? { hostname } : {}),
    ...(buildAll ? {} : { wanted: (type: string) => ruleset.mayMatchEventType(type, 'syscall') }),
  });
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      for (const record of reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))) {
        const event = state.apply(record);
        if (event) for (const a of ruleset.evaluate(event, 'syscall')) emit(a);
      }
    }
    reader.end();
    return undefined;
  } catch (e) {
    if (e instanceof ScapFormatError) return e.message;
    if (e instanceof Error && 'code' in e && String(e.code).startsWith('Z_')) return `gzip: ${e.message}`;
    throw e;
  } finally {
    input.destroy();
    file.destroy();
  }
}
