import type { CSSProperties } from 'react';
import type { AlertStatus, Priority } from '@/server/routers/alerts/alert-filter.schema';
import styles from './alerts.module.css';

/** One colour per Falco priority, most severe reddest; shared by the table and the charts. */
export const PRIORITY_COLORS: Record<Priority, string> = {
  emergency: '#8b0000',
  alert: '#c2185b',
  critical: '#d32f2f',
  error: '#f4511e',
  warning: '#f9a825',
  notice: '#1e88e5',
  informational: '#43a047',
  debug: '#90a4ae',
};

export const STATUS_LABELS: Record<AlertStatus, string> = {
  open: 'Open',
  acknowledged: 'Acknowledged',
  resolved: 'Resolved',
  false_positive: 'False positive',
};

export function PriorityLabel({ priority }: { priority: Priority }) {
  return (
    <span
      className={styles.priority}
      style={{ '--priority-color': PRIORITY_COLORS[priority] } as CSSProperties}
    >
      {priority}
    </span>
  );
}

export function StatusLabel({ status }: { status: AlertStatus }) {
  return (
    <span className={styles.status} data-status={status}>
      {STATUS_LABELS[status]}
    </span>
  );
}

const timeFormat = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});

/** Local date and time to the second; the ISO value is in the title for precision. */
export function Time({ iso }: { iso: string }) {
  return (
    <time dateTime={iso} title={iso} suppressHydrationWarning>
      {timeFormat.format(new Date(iso))}
    </time>
  );
}

/** Field values are attacker-controlled: always rendered as text, objects as JSON text. */
export function fieldText(value: unknown): string {
  if (value === null || value === undefined) return '<NA>';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}
