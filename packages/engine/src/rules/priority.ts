/** Falco priorities, most to least severe, with their numeric values (0..7). */
export const PRIORITIES = [
  'Emergency',
  'Alert',
  'Critical',
  'Error',
  'Warning',
  'Notice',
  'Informational',
  'Debug',
] as const;

export type Priority = (typeof PRIORITIES)[number];

/** Numeric severity: 0 = Emergency ... 7 = Debug (lower is more severe). */
export function priorityValue(p: Priority): number {
  return PRIORITIES.indexOf(p);
}

/**
 * Parse a priority as Falco does: case-insensitive full-word match of the canonical names, plus
 * `info` for Informational. Returns undefined for anything else (`warn`, `high`...).
 */
export function parsePriority(text: string): Priority | undefined {
  const t = text.toLowerCase();
  if (t === 'info') return 'Informational';
  for (const p of PRIORITIES) if (p.toLowerCase() === t) return p;
  return undefined;
}
