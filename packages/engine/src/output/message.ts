import { PRIORITIES } from '../rules/priority.js';

/** Falco's line prefix: `HH:MM:SS.nnnnnnnnn: ` or ISO-8601 (`time_format_iso_8601`). */
const LINE_TIME_PREFIX =
  /^(\d{2}:\d{2}:\d{2}(\.\d+)?|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:?\d{2}|Z)?): /;
/** The priority word after the time (`Warning`; `Info` too, as Falco's parser accepts it). */
const LINE_PRIORITY_WORD = new RegExp(`^(${[...PRIORITIES, 'Info'].join('|')}) `, 'i');

/**
 * An alert line's message: Falco's `output` without the time and priority it starts with (the
 * inverse of the line `evaluate` writes), as falcosidekick-ui shows it. An output that does not
 * start with Falco's time is returned whole.
 */
export function outputMessage(output: string): string {
  const rest = output.replace(LINE_TIME_PREFIX, '');
  return rest === output ? output : rest.replace(LINE_PRIORITY_WORD, '');
}
