/**
 * One chunk of event lines through the rules: each line is parsed, numbered (Falco's `evt.num`,
 * from the number of events before the chunk) and evaluated before the next is parsed, so no
 * event outlives its line (a chunk's worth of parsed events kept alive would leave the young
 * generation and cost old-generation collections). The single-threaded replay and the worker
 * threads run this same code.
 */
import { isAscii } from 'node:buffer';
import { type Alert, numberOwnedEvent, type RuleSet, toJson } from '@peregrine/engine';
import { detectSource } from '../../detect-source.js';
import { type LineProbe, probeLine } from './line-probe.js';

const K8S_AUDIT = 'k8s_audit';
/** What Falco's k8saudit plugin says of JSON that is neither an audit Event nor an EventList. */
const NOT_K8S_AUDIT = 'data not recognized as a k8s audit event (expected kind "EventList" or "Event")';
const NOT_AN_OBJECT = 'not a JSON object';

export interface ChunkContext {
  sourceNames: ReadonlySet<string>;
  defaultSource: string;
  /** Parse every line, also those whose event no rule can match (`--parse-all`). */
  parseAll?: boolean | undefined;
}

/** A malformed line: its number within the chunk (from 1) and why it was skipped. */
export type BadLine = [line: number, why: string];

/** What a chunk held: lines as readline counts them (a final line without a newline counts). */
export interface ChunkScan {
  lines: number;
  events: number;
  /** Events passed over unparsed: valid lines whose source and type no enabled rule can match. */
  unparsed: number;
  bad: BadLine[];
}

/** `n`: the event's number within the chunk, from 1 (events passed over unparsed count too). */
type OnEvent = (event: unknown, source: string, n: number) => void;

/**
 * Which lines may be passed over unparsed: `looksWanted` is the quick guess from a line's type
 * as it is met (true: parse the line), `canSkip` the answer for a line probed to its end.
 */
export interface LineSkip {
  looksWanted(type: string): boolean;
  canSkip(probe: LineProbe): boolean;
}

/**
 * The lines `ruleset` need not see: those of a source other than k8s_audit (whose lines may hold
 * several events, or none) whose event type no enabled rule of that source can match, so that
 * `evaluate` would return nothing for them.
 */
export function lineSkip(ruleset: RuleSet, ctx: ChunkContext): LineSkip {
  // The answers for the default source's types, by the very strings the probe gives (it gives
  // the same string for the same bytes), so most lines cost a few identity compares here rather
  // than the rule set's map lookups.
  const types: string[] = [];
  const answers: boolean[] = [];
  const mayMatch = (type: string): boolean => {
    for (let i = 0; i < types.length; i++) if (types[i] === type) return answers[i]!;
    const answer = ruleset.mayMatchEventType(type, ctx.defaultSource);
    if (types.length < 16) {
      types.push(type);
      answers.push(answer);
    }
    return answer;
  };
  const eventType = ruleset.sourceDef(ctx.defaultSource)?.eventType;
  return {
    looksWanted: mayMatch,
    canSkip(probe) {
      const source = detectSource(probe, ctx.sourceNames, ctx.defaultSource);
      if (source === K8S_AUDIT) return false;
      if (source === ctx.defaultSource) {
        const type = eventType?.(probe);
        return typeof type === 'string' && !mayMatch(type);
      }
      const type = ruleset.sourceDef(source)?.eventType?.(probe);
      return typeof type === 'string' && !ruleset.mayMatchEventType(type, source);
    },
  };
}

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

/**
 * Calls `onEvent` for every event of the chunk's lines, in order (an EventList line gives its
 * items), except those `skip` lets it pass over unparsed.
 */
export function scanChunk(
  bytes: Uint8Array,
  ctx: ChunkContext,
  onEvent: OnEvent,
  skip?: LineSkip,
): ChunkScan {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ascii = isAscii(b);
  const out: ChunkScan = { lines: 0, events: 0, unparsed: 0, bad: [] };
  // Lines are probed where they end in a newline alone (the probe stops at it); CRs take the
  // decoded path below.
  if (skip && !ctx.parseAll && b.indexOf(13) < 0) {
    // Only the lines parsed are decoded (ASCII, most event lines, through the cheaper one-byte
    // decoder): decoding whole chunks cost a quarter of a microsecond a line here.
    const encoding = ascii ? 'latin1' : 'utf8';
    let start = 0;
    while (start < b.length) {
      let end = b.indexOf(10, start);
      if (end < 0) end = b.length;
      // A line starting with a space or control character may be blank: left to scanLine.
      if (end < b.length && b[start]! > 32) {
        const probe = probeLine(b, start, end, skip.looksWanted);
        if (probe !== undefined && skip.canSkip(probe)) {
          out.lines++;
          out.events++;
          out.unparsed++;
          start = end + 1;
          continue;
        }
      }
      scanLine(b.toString(encoding, start, end), out, ctx, onEvent);
      start = end + 1;
    }
    return out;
  }
  const text = b.toString(ascii ? 'latin1' : 'utf8');
  if (text.includes('\r')) {
    // Line ends as readline finds them: CRLF, LF, or a lone CR (old Mac files).
    const lines = text.split(/\r\n|\n|\r/);
    if (lines.at(-1) === '') lines.pop();
    for (const line of lines) scanLine(line, out, ctx, onEvent);
    return out;
  }
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    scanLine(text.slice(start, end), out, ctx, onEvent);
    start = end + 1;
  }
  return out;
}

function isBlank(line: string): boolean {
  return line.length === 0 || (line.charCodeAt(0) <= 32 && line.trim() === '');
}

function scanLine(line: string, out: ChunkScan, ctx: ChunkContext, onEvent: OnEvent): void {
  out.lines++;
  if (isBlank(line)) return;
  let event: unknown;
  try {
    event = JSON.parse(line);
  } catch {
    out.bad.push([out.lines, NOT_AN_OBJECT]);
    return;
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    out.bad.push([out.lines, NOT_AN_OBJECT]);
    return;
  }
  const source = detectSource(event, ctx.sourceNames, ctx.defaultSource);
  if (source !== K8S_AUDIT) {
    deliver(event, source, out, onEvent);
    return;
  }
  const items = k8sAuditItems(event as Record<string, unknown>);
  if (items === undefined) {
    out.bad.push([out.lines, NOT_K8S_AUDIT]);
    return;
  }
  for (const item of items) deliver(item, source, out, onEvent);
}

/**
 * Hands one event to `onEvent`. The engine reads events of the shape its source declares (the
 * collector checks every sensor event against the protocol's schema first); a line of any JSON
 * can hold a member of another type (`"proc": null`, `"args": 7`), and a rule's field read may then
 * throw: that event is reported with its line, like a malformed one, and the replay goes on.
 */
function deliver(event: unknown, source: string, out: ChunkScan, onEvent: OnEvent): void {
  try {
    onEvent(event, source, ++out.events);
  } catch (error) {
    out.bad.push([
      out.lines,
      `not readable as a ${source} event (${error instanceof Error ? error.message : String(error)})`,
    ]);
  }
}

/** An alert as the replay's summary counts it: rule and priority. */
export type AlertCount = [rule: string, priority: Alert['priority']];

export interface ChunkResult extends ChunkScan {
  /** The number of events before the chunk that its events were numbered from. */
  base: number;
  /** The alerts' lines (Falco's text, or JSON objects), in event order. */
  text: string;
  alerts: AlertCount[];
}

export function alertJson(a: Alert): string {
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

/** Replays a chunk whose first event is the stream's event number `base + 1`. */
export function replayChunk(
  bytes: Uint8Array,
  base: number,
  ctx: ChunkContext,
  ruleset: RuleSet,
  json: boolean,
): ChunkResult {
  let text = '';
  const alerts: AlertCount[] = [];
  const scan = scanChunk(
    bytes,
    ctx,
    (event, source, n) => {
      for (const a of ruleset.evaluate(numberOwnedEvent(event, source, base + n), source)) {
        text += json ? `${alertJson(a)}\n` : `${a.output}\n`;
        alerts.push([a.rule, a.priority]);
      }
    },
    lineSkip(ruleset, ctx),
  );
  return { ...scan, base, text, alerts };
}
