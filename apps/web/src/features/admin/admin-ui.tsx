'use client';

import { type ReactNode, useState } from 'react';
import { errorData } from '@/trpc/client';
import styles from './admin.module.css';

/** A credential shown exactly once, with a copy button and the reason it will not be shown again. */
export function ShownOnce({
  title,
  value,
  hint,
  onDismiss,
  testId,
}: {
  title: string;
  value: string;
  hint?: ReactNode;
  onDismiss: () => void;
  testId?: string;
}) {
  const [copied, setCopied] = useState(false);
  return (
    <div className={styles.secret} role="status" data-testid={testId}>
      <span className={styles.secretTitle}>{title}</span>
      <pre className={styles.secretValue}>{value}</pre>
      {hint ? <span className="field-hint">{hint}</span> : null}
      <div className={styles.secretActions}>
        <button
          type="button"
          className="button"
          onClick={async () => {
            await navigator.clipboard?.writeText(value).catch(() => undefined);
            setCopied(true);
          }}
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
        <button type="button" className="button button-ghost" onClick={onDismiss}>
          Done
        </button>
      </div>
    </div>
  );
}

/** The message of a failed mutation, for a banner (coded errors carry a readable message). */
export function errorMessage(error: unknown): string | null {
  if (!error) return null;
  const data = errorData(error);
  if (data?.issues?.length) return data.issues.map((i) => i.message).join('; ');
  return error instanceof Error ? error.message : 'Something went wrong. Try again.';
}

export function ErrorBanner({ error }: { error: unknown }) {
  const message = errorMessage(error);
  if (!message) return null;
  return (
    <div className={`alert-banner ${styles.banner}`} role="alert">
      {message}
    </div>
  );
}

/** A button that asks once more before a destructive action. */
export function ConfirmButton({
  label,
  confirmLabel,
  onConfirm,
  disabled,
}: {
  label: string;
  confirmLabel: string;
  onConfirm: () => void;
  disabled?: boolean;
}) {
  const [armed, setArmed] = useState(false);
  if (!armed) {
    return (
      <button
        type="button"
        className="button button-ghost"
        disabled={disabled}
        onClick={() => setArmed(true)}
      >
        {label}
      </button>
    );
  }
  return (
    <span className={styles.rowActions}>
      <button
        type="button"
        className={`button ${styles.dangerButton}`}
        disabled={disabled}
        onClick={() => {
          setArmed(false);
          onConfirm();
        }}
      >
        {confirmLabel}
      </button>
      <button type="button" className="button button-ghost" onClick={() => setArmed(false)}>
        Cancel
      </button>
    </span>
  );
}

const absolute = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

/** "3 minutes ago", with the exact UTC time on hover; `never` when there is no time. */
export function TimeAgo({ iso, never = 'never', now }: { iso: string | null; never?: string; now?: number }) {
  if (!iso) return <span className={styles.muted}>{never}</span>;
  const date = new Date(iso);
  const seconds = Math.round((date.getTime() - (now ?? Date.now())) / 1000);
  const abs = Math.abs(seconds);
  const text =
    abs < 45
      ? relative.format(seconds, 'second')
      : abs < 2700
        ? relative.format(Math.round(seconds / 60), 'minute')
        : abs < 64_800
          ? relative.format(Math.round(seconds / 3600), 'hour')
          : abs < 2_592_000
            ? relative.format(Math.round(seconds / 86_400), 'day')
            : absolute.format(date);
  return (
    <time dateTime={iso} title={`${absolute.format(date)} UTC`} suppressHydrationWarning>
      {text}
    </time>
  );
}

export function formatUtc(iso: string): string {
  return `${absolute.format(new Date(iso))} UTC`;
}
