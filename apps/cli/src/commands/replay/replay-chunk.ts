/**
 * One chunk of event lines through the rules, in two steps so that chunks can be parsed in
 * parallel while events keep Falco's stream numbering (`evt.num` from 1): `parseChunk` turns
 * the lines into events (an EventList line into its items) and says how many there are;
 * `evaluateChunk` numbers them from the count of all events before the chunk and evaluates them.
 * The single-threaded replay and the worker threads run these same two functions.
 */
import { isAscii } from 'node:buffer';
import { type Alert, numberOwnedEvent, type RuleSet, toJson } from '@peregrine/engine';
import { detectSource } from '../../detect-source.js';

const K8S_AUDIT = 'k8s_audit';
/** What Falco's k8saudit plugin says of JSON that is neither an audit Event nor an EventList. */
const NOT_K8S_AUDIT = 'data not recognized as a k8s audit event (expected kind "EventList" or "Event")';
const NOT_AN_OBJECT = 'not a JSON object';

export interface ChunkContext {
  sourceNames: ReadonlySet<string>;
  defaultSource: string;
}

/** A malformed line: its number within the chunk (from 1) and why it was skipped. */
export type BadLine = [line: number, why: string];

export interface ParsedChunk {
  events: unknown[];
  sources: string[];
  /** Lines of the chunk, as readline counts them (a final line without a newline counts). */
  lines: number;
  bad: BadLine[];
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

/** The chunk's text: ASCII (most event lines) through the cheaper one-byte decoder. */
function decode(bytes: Uint8Array): string {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return b.toString(isAscii(b) ? 'latin1' : 'utf8');
}

export function parseChunk(bytes: Uint8Array, ctx: ChunkContext): ParsedChunk {
  const text = decode(bytes);
  const out: ParsedChunk = { events: [], sources: [], lines: 0, bad: [] };
  if (text.includes('\r')) {
    // Line ends as readline finds them: CRLF, LF, or a lone CR (old Mac files).
    const lines = text.split(/\r\n|\n|\r/);
    if (lines.at(-1) === '') lines.pop();
    for (const line of lines) parseLine(line, out, ctx);
    return out;
  }
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    parseLine(text.slice(start, end), out, ctx);
    start = end + 1;
  }
  return out;
}

function isBlank(line: string): boolean {
  return line.length === 0 || (line.charCodeAt(0) <= 32 && line.trim() === '');
}

function parseLine(line: string, out: ParsedChunk, ctx: ChunkContext): void {
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
    out.events.push(event);
    out.sources.push(source);
    return;
  }
  const items = k8sAuditItems(event as Record<string, unknown>);
  if (items === undefined) {
    out.bad.push([out.lines, NOT_K8S_AUDIT]);
    return;
  }
  for (const item of items) {
    out.events.push(item);
    out.sources.push(source);
  }
}

/** An alert as the replay's summary counts it: rule and priority. */
export type AlertCount = [rule: string, priority: Alert['priority']];

export interface ChunkResult {
  events: number;
  /** The alerts' lines (Falco's text, or JSON objects), in event order. */
  text: string;
  alerts: AlertCount[];
  lines: number;
  bad: BadLine[];
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

/** Evaluates a parsed chunk whose first event is the stream's event number `base + 1`. */
export function evaluateChunk(
  parsed: ParsedChunk,
  base: number,
  ruleset: RuleSet,
  json: boolean,
): ChunkResult {
  let text = '';
  const alerts: AlertCount[] = [];
  const { events, sources } = parsed;
  for (let i = 0; i < events.length; i++) {
    const source = sources[i]!;
    const event = numberOwnedEvent(events[i], source, base + i + 1);
    for (const a of ruleset.evaluate(event, source)) {
      text += json ? `${alertJson(a)}\n` : `${a.output}\n`;
      alerts.push([a.rule, a.priority]);
    }
  }
  return { events: events.length, text, alerts, lines: parsed.lines, bad: parsed.bad };
}
