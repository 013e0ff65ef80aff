/**
 * Digest periods and quiet-hours windows as instants: pure functions of a route's settings and a
 * time (the collector's clock when it owes an alert, the console's when it previews a route),
 * wall-clock times read in the setting's IANA time zone with the runtime's Intl data, so a daily
 * digest at 08:00 Europe/Berlin stays at 08:00 across DST. The settings' shapes are validated by
 * the protocol's `DigestScheduleSchema` and `QuietHoursSchema`.
 */

/** A route's digest: periods of `minutes` from the epoch, or from one `at` (HH:MM) to the next. */
export type DigestSchedule =
  | { mode: 'interval'; minutes: number }
  | { mode: 'daily'; at: string; timeZone: string };

/** A route's weekly quiet window (days: 0 Sunday ... 6 Saturday, the day a window starts). */
export interface QuietHours {
  timeZone: string;
  start: string;
  end: string;
  days: readonly number[];
  weekends: boolean;
}

/** A half-open span of time [start, end). */
export interface Span {
  start: number;
  end: number;
}

interface Wall {
  y: number;
  m: number;
  d: number;
  hh: number;
  mm: number;
  /** 0 Sunday ... 6 Saturday. */
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

/** The wall-clock reading of an instant in a time zone. */
function wallAt(t: number, timeZone: string): Wall & { ss: number } {
  const parts: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(t))) parts[p.type] = p.value;
  return {
    y: Number(parts.year),
    m: Number(parts.month),
    d: Number(parts.day),
    hh: Number(parts.hour),
    mm: Number(parts.minute),
    ss: Number(parts.second),
    weekday: WEEKDAYS[parts.weekday ?? 'Sun'] ?? 0,
  };
}

/** The zone's offset from UTC at instant t, in ms (whole seconds). */
function offsetAt(t: number, timeZone: string): number {
  const w = wallAt(t, timeZone);
  const asUtc = Date.UTC(w.y, w.m - 1, w.d, w.hh, w.mm, w.ss);
  return asUtc - Math.floor(t / 1000) * 1000;
}

/**
 * The instant a wall-clock time happens in a zone. A time skipped by a DST jump (02:30 on the
 * spring-forward night) is read with the offset before the jump, which lands after it (03:30);
 * a time that happens twice (the autumn hour) is its first occurrence.
 */
export function instantOf(y: number, m: number, d: number, hh: number, mm: number, timeZone: string): number {
  const naive = Date.UTC(y, m - 1, d, hh, mm);
  const before = offsetAt(naive - 86_400_000, timeZone);
  const after = offsetAt(naive + 86_400_000, timeZone);
  // The earlier offset first: the first occurrence of a repeated time, or past a skipped one.
  const first = naive - before;
  if (offsetAt(first, timeZone) === before) return first;
  const second = naive - after;
  if (offsetAt(second, timeZone) === after) return second;
  return first;
}

/** The calendar day `days` after (y, m, d). */
function addDays(y: number, m: number, d: number, days: number): { y: number; m: number; d: number } {
  const t = new Date(Date.UTC(y, m - 1, d + days));
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() };
}

const hhmm = (s: string): [number, number] => {
  const [h, m] = s.split(':');
  return [Number(h), Number(m)];
};

/** The digest period that instant t falls in. */
export function digestPeriod(schedule: DigestSchedule, t: number): Span {
  if (schedule.mode === 'interval') {
    const len = schedule.minutes * 60_000;
    const start = Math.floor(t / len) * len;
    return { start, end: start + len };
  }
  const [h, mi] = hhmm(schedule.at);
  const w = wallAt(t, schedule.timeZone);
  const today = instantOf(w.y, w.m, w.d, h, mi, schedule.timeZone);
  if (today <= t) {
    const next = addDays(w.y, w.m, w.d, 1);
    return { start: today, end: instantOf(next.y, next.m, next.d, h, mi, schedule.timeZone) };
  }
  const prev = addDays(w.y, w.m, w.d, -1);
  return { start: instantOf(prev.y, prev.m, prev.d, h, mi, schedule.timeZone), end: today };
}

/**
 * The quiet window instant t falls in (adjoining or overlapping windows, such as a weeknight
 * running into a weekend, merged into one), or undefined when t is outside quiet hours.
 */
export function quietWindow(q: QuietHours, t: number): Span | undefined {
  const w = wallAt(t, q.timeZone);
  const [sh, sm] = hhmm(q.start);
  const [eh, em] = hhmm(q.end);
  const overnight = eh * 60 + em <= sh * 60 + sm;
  const spans: Span[] = [];
  // Every window starting from two days before t's day to eight after: enough to merge a run
  // of windows around t (a run longer than that, quiet all week, ends at its eighth day).
  for (let i = -2; i <= 8; i++) {
    const day = addDays(w.y, w.m, w.d, i);
    const weekday = (((w.weekday + i) % 7) + 7) % 7;
    if (q.days.includes(weekday)) {
      const endDay = overnight ? addDays(day.y, day.m, day.d, 1) : day;
      spans.push({
        start: instantOf(day.y, day.m, day.d, sh, sm, q.timeZone),
        end: instantOf(endDay.y, endDay.m, endDay.d, eh, em, q.timeZone),
      });
    }
    if (q.weekends && (weekday === 0 || weekday === 6)) {
      const next = addDays(day.y, day.m, day.d, 1);
      spans.push({
        start: instantOf(day.y, day.m, day.d, 0, 0, q.timeZone),
        end: instantOf(next.y, next.m, next.d, 0, 0, q.timeZone),
      });
    }
  }
  spans.sort((a, b) => a.start - b.start);
  const merged: Span[] = [];
  for (const s of spans) {
    const last = merged.at(-1);
    if (last && s.start <= last.end) last.end = Math.max(last.end, s.end);
    else merged.push({ ...s });
  }
  return merged.find((s) => s.start <= t && t < s.end);
}
