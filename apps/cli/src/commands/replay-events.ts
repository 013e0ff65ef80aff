/**
 * `peregrine replay -r RULES... EVENTS.ndjson`: Falco replaying a capture. Each line of the
 * events file is one event; alerts print as Falco's text lines (or JSON objects with --json),
 * then Falco's end summary (events detected, counts by severity, by rule).
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import {
  type Alert,
  AlertStats,
  builtinSources,
  load,
  type LoadResult,
  parsePriority,
  type RuleSet,
  isGzip,
  isScap,
  ScapFormatError,
  ScapReader,
  ScapState,
  toJson,
  withEventNumber,
} from '@peregrine/engine';
import { parseCommandLine, UsageError } from '../args.js';
import { detectSource } from '../detect-source.js';
import type { CliEnv } from '../env.js';
import { readRulesFiles } from '../read-rules.js';
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
  -t TAG                  enable only rules with TAG (repeatable)`;

function alertJson(a: Alert): string {
  return toJson({
    hostname: a.hostname,
    output: a.output,
    output_fields: a.output_fields,
    priority: a.priority,
    rule: a.rule,
    source: a.source,
    tags: a.tags,
    time: a.time,
  });
}

const K8S_AUDIT = 'k8s_audit';
/** What Falco's k8saudit plugin says of JSON that is neither an audit Event nor an EventList. */
const NOT_K8S_AUDIT = 'data not recognized as a k8s audit event (expected kind "EventList" or "Event")';

/** The audit Events of a k8s_audit line (an EventList's items, as the plugin reads them). */
function k8sAuditItems(line: Record<string, unknown>): unknown[] | undefined {
  const r = (typeof line.payload === 'object' && line.payload !== null ? line.payload : line) as Record<
    string,
    unknown
  >;
  // Items of a stored EventList may come without `kind`; their auditID and stage identify them.
  if (
    r.kind === 'Event' ||
    (r.kind === undefined && typeof r.auditID === 'string' && typeof r.stage === 'string')
  )
    return [line];
  if (r.kind === 'EventList' && Array.isArray(r.items) && r === line) return r.items;
  return undefined;
}

function selectRules(
  ruleset: RuleSet,
  select: { only?: string[]; disabledNames?: string[]; disabledTags?: string[] },
): RuleSet {
  let rs = ruleset;
  if (select.only) rs = rs.cleared().withEnabled({ tags: select.only }, true);
  for (const name of select.disabledNames ?? []) rs = rs.withEnabled({ name }, false);
  if (select.disabledTags) rs = rs.withEnabled({ tags: select.disabledTags }, false);
  return rs;
}

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

  const files = await readRulesFiles(rulesPaths);
  const result = load(files, {
    ruleMatching: matching,
    hostname: env.hostname,
    timeFormatIso8601: opts.iso8601 === true,
    ...(minPriority ? { minPriority } : {}),
  });
  printLoadProblems(result, io);
  if (!result.ok) {
    io.err('Error: rules could not be loaded; see the errors above.\n');
    return 1;
  }
  const ruleset = selectRules(result.ruleset, {
    only: opts.tag,
    disabledNames: opts['disable-rule'],
    disabledTags: opts['disable-tag'],
  });
  const order = new Map(ruleset.rules.map((r, i) => [r.name, i]));
  const sourceNames = new Set(builtinSources().map((s) => s.name));
  const defaultSource = opts.source ?? 'syscall';
  if (!sourceNames.has(defaultSource)) throw new UsageError(`unknown source ${defaultSource}`);
  const json = opts.json === true;
  const stats = new AlertStats();
  const path = args.positionals[0]!;
  const emit = (a: Alert) => {
    stats.add(a, order.get(a.rule));
    io.out(json ? `${alertJson(a)}\n` : `${a.output}\n`);
  };

  // A capture is recognised by its bytes (gzip, then the section header), not its name.
  const kind = path === '-' ? 'ndjson' : await sniffInput(path);
  if (kind !== 'ndjson') {
    const failure = await replayCapture(path, kind === 'scap.gz', ruleset, env.hostname, emit);
    io.out(stats.format());
    if (failure) {
      io.err(`Error: ${path}: ${failure}\n`);
      return 1;
    }
    return 0;
  }

  const input = path === '-' ? process.stdin : createReadStream(path, 'utf8');
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNo = 0;
  let bad = 0;
  // Falco numbers the events of a stream from 1 (evt.num); a recorded event keeps its own number.
  let num = 0;
  const skip = (why: string) => {
    bad++;
    io.err(`Warning: ${args.positionals[0]}:${lineNo}: ${why}, skipped\n`);
  };
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      skip('not a JSON object');
      continue;
    }
    if (typeof event !== 'object' || event === null || Array.isArray(event)) {
      skip('not a JSON object');
      continue;
    }
    const source = detectSource(event, sourceNames, defaultSource);
    const events = source === K8S_AUDIT ? k8sAuditItems(event as Record<string, unknown>) : [event];
    if (events === undefined) {
      skip(NOT_K8S_AUDIT);
      continue;
    }
    for (const e of events) {
      const numbered = withEventNumber(e, source, ++num);
      for (const a of ruleset.evaluate(numbered, source)) emit(a);
    }
  }
  io.out(stats.format());
  if (bad) io.err(`${bad} malformed event line(s) skipped\n`);
  return 0;
}

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
): Promise<string | undefined> {
  const file = createReadStream(path);
  const input: Readable = gzip ? file.pipe(createGunzip()) : file;
  const reader = new ScapReader();
  // Syscalls are evaluated on their exits, as current Falco's converter does with captures.
  const state = new ScapState({ enterEvents: false, ...(hostname ? { hostname } : {}) });
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
