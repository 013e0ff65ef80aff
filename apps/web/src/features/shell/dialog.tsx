'use client';

import { type ReactNode, useEffect, useRef } from 'react';
import styles from './dialog.module.css';

/**
 * A modal dialog on the browser's own `<dialog>` (focus kept inside, Escape closes, the page
 * behind inert). Rendered only while open; `onClose` runs on Escape, the × button and Cancel.
 */
export function Dialog({
  title,
  subtitle,
  onClose,
  footer,
  children,
  testId,
  wide,
}: {
  title: string;
  subtitle?: ReactNode;
  onClose: () => void;
  footer?: ReactNode;
  children: ReactNode;
  testId?: string;
  wide?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  return (
    <dialog
      ref={ref}
      className={`${styles.dialog} ${wide ? styles.wide : ''}`}
      aria-label={title}
      data-testid={testId}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <div className={styles.header}>
        <div className={styles.title}>
          <h2>{title}</h2>
          {subtitle ? <div className={styles.subtitle}>{subtitle}</div> : null}
        </div>
        <button type="button" className="button button-ghost" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </div>
      <div className={styles.body}>{children}</div>
      {footer ? <div className={styles.footer}>{footer}</div> : null}
    </dialog>
  );
}

/** The dialog's footer row, placed at the end of the body by a form that owns the buttons' state. */
export function DialogFooter({ children }: { children: ReactNode }) {
  return <div className={`${styles.footer} ${styles.stickyFooter}`}>{children}</div>;
}
