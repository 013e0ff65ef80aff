import { PRIORITIES } from '@/server/routers/alerts/alert-filter.schema';

/** Falco's line prefix: `HH:MM:SS.nnnnnnnnn: ` or ISO-8601 (`time_format_iso_8601`), as `alert_message()` in SQL. */
const TIME_PREFIX =
  /^(\d{2}:\d{2}:\d{2}(\.\d+)?|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:?\d{2}|Z)?): /;
/** The priority word Falco writes after the time (`Warning`, also `Info` for informational). */
const PRIORITY_WORD = new RegExp(`^(${[...PRIORITIES, 'info'].join('|')}) `, 'i');

/**
 * The alert's message as a reader wants it: Falco's output without the time and priority it
 * starts with (the table shows both in their own columns), as falcosidekick-ui does. An output
 * that does not start with Falco's time is shown whole.
 */
export function alertMessage(output: string): string {
  const rest = output.replace(TIME_PREFIX, '');
  return rest === output ? output : rest.replace(PRIORITY_WORD, '');
}
