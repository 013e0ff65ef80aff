/**
 * Event-time renderings of `evt.time*` / `evt.datetime*`. Timestamps are epoch-nanosecond decimal
 * strings; the nanosecond part is kept exactly (a JS Date only holds milliseconds).
 */

function split(ts: string | undefined): { date: Date; ns: string } | undefined {
  if (ts === undefined || !/^\d+$/.test(ts)) return undefined;
  const padded = ts.padStart(10, '0');
  const secs = padded.slice(0, -9) || '0';
  const ns = padded.slice(-9);
  return { date: new Date(Number(secs) * 1000), ns };
}

const p2 = (n: number): string => String(n).padStart(2, '0');

/** `HH:MM:SS.nnnnnnnnn` (or `HH:MM:SS`) in the local time zone, as Falco's evt.time. */
export function formatLocalTime(ts: string | undefined, withNs: boolean): string | undefined {
  const t = split(ts);
  if (!t) return undefined;
  const d = t.date;
  const base = `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
  return withNs ? `${base}.${t.ns}` : base;
}

/** `YYYY-MM-DD HH:MM:SS.nnnnnnnnn` in the local time zone, as Falco's evt.datetime. */
export function formatLocalDateTime(ts: string | undefined, withNs: boolean): string | undefined {
  const t = split(ts);
  if (!t) return undefined;
  const d = t.date;
  const base = `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
  return withNs ? `${base}.${t.ns}` : base;
}

/** `YYYY-MM-DDTHH:MM:SS.nnnnnnnnn+0000` in UTC, as Falco's evt.time.iso8601. */
export function formatIsoTime(ts: string | undefined): string | undefined {
  const t = split(ts);
  if (!t) return undefined;
  const d = t.date;
  return `${d.getUTCFullYear()}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())}T${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}.${t.ns}+0000`;
}
