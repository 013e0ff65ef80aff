'use client';

import { TRPCClientError } from '@trpc/client';
import styles from './rules.module.css';

/** Valid versions can be activated; drafts never. */
export function StatusBadge({ status }: { status: 'valid' | 'draft' }) {
  return (
    <span
      className={`${styles.badge} ${status === 'valid' ? styles.valid : styles.draft}`}
      data-status={status}
    >
      {status === 'valid' ? 'Valid' : 'Draft'}
    </span>
  );
}

export function PriorityTag({ priority }: { priority: string }) {
  return (
    <span className={styles.priority} data-priority={priority}>
      {priority}
    </span>
  );
}

/** `vN` or a dash, with the environment's colour dot. */
export function EnvVersion({ env, number }: { env: string; number: number | null }) {
  return (
    <span className={styles.envChip}>
      <span className="env-dot" data-env={env} aria-hidden="true" />
      {number === null ? (
        <span className={styles.muted} data-testid="active-version">
          —
        </span>
      ) : (
        <span className={styles.mono} data-testid="active-version">
          v{number}
        </span>
      )}
    </span>
  );
}

const units: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
];
const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

/** "5 minutes ago", with the exact time in the tooltip. */
export function TimeAgo({ iso }: { iso: string }) {
  const seconds = (new Date(iso).getTime() - Date.now()) / 1000;
  let text = 'just now';
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) {
      text = relative.format(Math.round(seconds / size), unit);
      break;
    }
  }
  return (
    <time dateTime={iso} title={new Date(iso).toLocaleString()} suppressHydrationWarning>
      {text}
    </time>
  );
}

/** The message of a failed call, safe to show (coded errors carry user-facing text). */
export function errorText(error: unknown): string {
  if (error instanceof TRPCClientError) {
    const issues = (error.data as { issues?: { path: string; message: string }[] | null } | undefined)
      ?.issues;
    if (issues?.length) return issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
    return error.message;
  }
  return error instanceof Error ? error.message : 'Something went wrong.';
}
