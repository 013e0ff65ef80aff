/** Pure helpers of the backtest screens (no React): ranges, progress, rates, labels. */

export type RangePreset = '24h' | '7d' | '30d' | 'custom';

export const RANGE_PRESETS: readonly { value: RangePreset; label: string; ms: number }[] = [
  { value: '24h', label: 'Last 24 hours', ms: 86_400_000 },
  { value: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
  { value: '30d', label: 'Last 30 days', ms: 30 * 86_400_000 },
  { value: 'custom', label: 'Custom range', ms: 0 },
];

/** `<input type="datetime-local">` text (local time, minutes) of a date. */
export function toLocalInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/**
 * The range a form asks for, as ISO strings: a preset ends now; a custom range reads the two
 * local times (null when either is missing or unreadable).
 */
export function rangeOf(
  preset: RangePreset,
  custom: { from: string; to: string },
  now = new Date(),
): { from: string; to: string } | null {
  const choice = RANGE_PRESETS.find((p) => p.value === preset);
  if (choice && preset !== 'custom') {
    return { from: new Date(now.getTime() - choice.ms).toISOString(), to: now.toISOString() };
  }
  const from = new Date(custom.from);
  const to = new Date(custom.to);
  if (!custom.from || !custom.to || Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) return null;
  return { from: from.toISOString(), to: to.toISOString() };
}

/** Share of the stored events done, 0-100 (a total that grew meanwhile never shows over 100). */
export function progressPercent(scanned: number, total: number, status: string): number {
  if (status === 'done') return 100;
  if (total <= 0) return 0;
  return Math.min(100, Math.floor((scanned / total) * 100));
}

/** "12,345" */
export function count(n: number): string {
  return n.toLocaleString('en');
}

/** Events per second of a run, or null before there is anything to measure. */
export function rate(scanned: number, runMs: number): number | null {
  return runMs > 0 && scanned > 0 ? Math.round((scanned / runMs) * 1000) : null;
}

/** "850 ms", "12.4 s", "3 min 05 s" */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

/** The id of the stored alert a sample was rebuilt from (`alert:<id>`), else null. */
export function alertIdOf(ref: string): string | null {
  return /^alert:(\d+)$/.exec(ref)?.[1] ?? null;
}

/** Words for a status, as the page shows it. */
export function statusLabel(status: string, stalled: boolean): string {
  if (stalled) return 'Stalled';
  switch (status) {
    case 'queued':
      return 'Queued';
    case 'running':
      return 'Running';
    case 'done':
      return 'Done';
    case 'failed':
      return 'Failed';
    case 'cancelled':
      return 'Cancelled';
    default:
      return status;
  }
}
