import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type { IngestEvent } from '../pipeline/types.js';
import { type CleanReport, parseCleanJson } from './shared/clean-text.js';
import { exceedsDepth, isRecord, nsToDate, pluginEvent, rfc3339ToNs } from './shared/plugin-event.js';

export const CLOUDTRAIL_SOURCE = 'aws_cloudtrail';

/** Largest decompressed log file read (CloudTrail files are a few MB at most). */
export const MAX_LOG_FILE_BYTES = 256 * 1024 * 1024;

/** Keys (or file names) CloudTrail log files have; digests and other objects are skipped. */
export function isLogFileName(key: string): boolean {
  return key.endsWith('.json') || key.endsWith('.json.gz');
}

export class LogFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'LogFileError';
  }
}

/** ` (position N)` from a JSON.parse error, without the snippet of text V8 adds to its message. */
export function jsonErrorPosition(err: unknown): string {
  const m = /\bposition (\d+)/.exec(err instanceof Error ? err.message : '');
  return m ? ` (position ${m[1]})` : '';
}

export interface DecodedLogFile {
  events: IngestEvent[];
  /** Records refused (no eventTime/eventType, not an object). */
  rejected: number;
  /** Why the first refused record was refused (`record N: ...`, N from 1), when one was. */
  firstRejection?: string;
  /** Records skipped on purpose (CloudTrail Insights events, as Falco's plugin does). */
  skipped: number;
  /** Records (of `events`) in which characters were replaced (clean-text.ts). */
  sanitized: number;
}

/**
 * A CloudTrail log file (`{"Records":[...]}`, gzipped when the bytes start with gzip's magic)
 * -> one `aws_cloudtrail` event per record, keyed by `eventID` and timed by `eventTime`; strings
 * cleaned of characters Postgres refuses (clean-text.ts).
 */
export function decodeLogFile(file: string, bytes: Uint8Array): DecodedLogFile {
  let text: string;
  try {
    const raw = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const gz = raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b;
    text = (gz ? gunzipSync(raw, { maxOutputLength: MAX_LOG_FILE_BYTES }) : raw).toString('utf8');
  } catch (err) {
    throw new LogFileError(file, `cannot decompress: ${(err as Error).message}`);
  }
  let doc: unknown;
  let report: CleanReport;
  try {
    ({ value: doc, report } = parseCleanJson(text));
  } catch (err) {
    // Never the parser's message: it quotes the text, and this error is shown to the tenant.
    throw new LogFileError(file, `not JSON${jsonErrorPosition(err)}`);
  }
  if (!isRecord(doc) || !Array.isArray(doc.Records)) throw new LogFileError(file, 'no Records array');
  const out: DecodedLogFile = { events: [], rejected: 0, skipped: 0, sanitized: 0 };
  const records: unknown[] = doc.Records;
  for (let i = 0; i < records.length; i++) {
    const checked = checkRecord(records[i]);
    if (typeof checked === 'string') {
      out.rejected++;
      out.firstRejection ??= `record ${i + 1}: ${checked}`;
      continue;
    }
    const { record, ts } = checked;
    if (record.eventType === 'AwsCloudTrailInsight') {
      out.skipped++;
      continue;
    }
    const ingestKey =
      typeof record.eventID === 'string' && record.eventID !== ''
        ? record.eventID
        : `sha256:${createHash('sha256').update(JSON.stringify(record)).digest('hex')}`;
    out.events.push({
      source: CLOUDTRAIL_SOURCE,
      event: pluginEvent(record, ts),
      ingestKey,
      eventTime: nsToDate(ts),
    });
    if (report.touched(record)) out.sanitized++;
  }
  return out;
}

/** A CloudTrail record that can be stored, with its time in nanoseconds; else why it cannot. */
function checkRecord(record: unknown): { record: Record<string, unknown>; ts: string } | string {
  if (!isRecord(record)) return 'not an object';
  if (exceedsDepth(record)) return 'nested too deeply';
  const ts = rfc3339ToNs(record.eventTime);
  if (ts === undefined) return 'eventTime is missing or not an RFC 3339 time';
  if (typeof record.eventType !== 'string') return 'eventType is missing';
  return { record, ts };
}
