import 'server-only';
import { type AlertExportRow, exportAlerts as exportAlertRows } from '@peregrine/db';
import type { AlertFilterValue } from '../../routers/alerts/alert-filter.schema';
import { db } from '../../db';
import { resolveAlertFilter } from './resolve-alert-filter';

export type ExportFormat = 'csv' | 'ndjson';

/** The CSV columns, in order: Falco's JSON output fields, flattened. */
export const CSV_COLUMNS = [
  'time',
  'rule',
  'priority',
  'source',
  'hostname',
  'tags',
  'output',
  'output_fields',
] as const;

/**
 * A spreadsheet treats a cell starting with = + - @ (or a tab or carriage return, which some
 * strip first) as a formula: alert content is attacker-controlled, so such a cell gets a leading
 * apostrophe (OWASP's CSV injection advice) and is read as text.
 */
function defuseFormula(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** One CSV cell (RFC 4180): quoted when it holds a comma, a quote or a line break. */
export function csvCell(value: string): string {
  const safe = defuseFormula(value);
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** One CSV record, CRLF-terminated as RFC 4180 asks. */
export function csvLine(values: readonly string[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}

function csvRecord(row: AlertExportRow): string {
  return csvLine([
    row.time,
    row.rule,
    row.priority,
    row.source,
    row.hostname ?? '',
    row.tags.join(' '),
    row.output,
    row.outputFieldsJson,
  ]);
}

/**
 * One line of Falco's JSON output (`json_output: true`). Built as text so that the output fields
 * go out as the database keeps them: `evt.time` as an integer of nanoseconds, exact.
 */
function ndjsonRecord(row: AlertExportRow): string {
  return `{"time":${JSON.stringify(row.time)},"rule":${JSON.stringify(row.rule)},"priority":${JSON.stringify(
    falcoPriority(row.priority),
  )},"output":${JSON.stringify(row.output)},"output_fields":${row.outputFieldsJson},"source":${JSON.stringify(
    row.source,
  )},"hostname":${JSON.stringify(row.hostname ?? '')},"tags":${JSON.stringify(row.tags)}}\n`;
}

/** Falco writes priorities capitalised (`Warning`); the database keeps them lower-case. */
function falcoPriority(priority: string): string {
  return priority.charAt(0).toUpperCase() + priority.slice(1);
}

/**
 * The organisation's alerts matching the filter, newest first, as CSV or Falco JSON lines: text
 * chunks of one database page each, read only as fast as they are consumed (a pull stream), so
 * memory stays bounded whatever the export's size. The filter resolves exactly as the list's.
 */
export async function exportAlerts(input: {
  organizationId: string;
  /** Null for API keys. */
  userId: string | null;
  filter: AlertFilterValue;
  format: ExportFormat;
}): Promise<ReadableStream<Uint8Array>> {
  const { filter } = await resolveAlertFilter(input.organizationId, input.userId, input.filter);
  const pages = exportAlertRows(db(), filter);
  const encoder = new TextEncoder();
  const record = input.format === 'csv' ? csvRecord : ndjsonRecord;
  let header = input.format === 'csv' ? csvLine(CSV_COLUMNS) : '';
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = await pages.next();
        if (next.done) {
          if (header) controller.enqueue(encoder.encode(header));
          controller.close();
          return;
        }
        controller.enqueue(encoder.encode(header + next.value.map(record).join('')));
        header = '';
      },
      async cancel() {
        // The client went away: end the generator so no further page is read.
        await pages.return(undefined);
      },
    },
    // One page queued at most: the next is read only once the client took this one.
    { highWaterMark: 1 },
  );
}
