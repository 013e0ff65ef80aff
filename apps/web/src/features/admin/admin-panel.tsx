'use client';

import {
  type CSSProperties,
  type FormEvent,
  Fragment,
  type InputHTMLAttributes,
  type ReactNode,
} from 'react';
import { ROLES, type Role } from '@/server/roles';
import styles from './admin.module.css';

/*
 * The frame every administration panel shares (members, invitations, API keys, sensors, sources):
 * a titled panel, an inline create form, a table of rows with their actions. A panel says only
 * what is its own: its columns, its form fields and its actions.
 */

/** A titled panel; `hint` is quiet text beside the title, `action` a button in its place. */
export function AdminPanel({
  id,
  title,
  hint,
  action,
  children,
}: {
  /** Prefix of the heading's id, which labels the section. */
  id: string;
  title: string;
  hint?: ReactNode;
  action?: ReactNode;
  children: ReactNode;
}) {
  return (
    <section className="panel" aria-labelledby={`${id}-heading`}>
      <div className="panel-header">
        <h2 id={`${id}-heading`}>{title}</h2>
        {hint ? <span className="field-hint">{hint}</span> : null}
        {action}
      </div>
      {children}
    </section>
  );
}

/** One column of an AdminTable. */
export interface AdminColumn<Row> {
  /** The header, which also names the column for screen readers. */
  header: ReactNode;
  /** A longer explanation, shown when hovering the header. */
  title?: string;
  /** Classes of each cell (`muted` for secondary text). */
  className?: string;
  style?: CSSProperties;
  cell: (row: Row) => ReactNode;
}

/**
 * A table of rows with an actions column at the end. The actions column is left out when
 * `actions` is absent (a viewer's table). With `empty`, no rows show that instead of the table
 * (`null` shows nothing); without it the table is drawn with just its header.
 */
export function AdminTable<Row>({
  testId,
  rows,
  rowKey,
  columns,
  actions,
  rowTestId,
  rowClassName,
  detail,
  empty,
}: {
  testId: string;
  rows: readonly Row[];
  rowKey: (row: Row) => string;
  columns: readonly AdminColumn<Row>[];
  actions?: (row: Row) => ReactNode;
  rowTestId?: (row: Row) => string;
  rowClassName?: (row: Row) => string | undefined;
  /** A full-width row under a row (an inline editor), or null for none. */
  detail?: (row: Row) => ReactNode;
  empty?: ReactNode;
}) {
  if (rows.length === 0 && empty !== undefined) {
    return typeof empty === 'string' ? <p className={styles.empty}>{empty}</p> : empty;
  }
  const width = columns.length + (actions ? 1 : 0);
  return (
    <div className={styles.tableWrap}>
      <table className="table" data-testid={testId}>
        <thead>
          <tr>
            {columns.map((column, index) => (
              // Columns are a fixed list per panel, so their position is a stable key.
              // biome-ignore lint/suspicious/noArrayIndexKey: see above
              <th key={index} scope="col" title={column.title}>
                {column.header}
              </th>
            ))}
            {actions ? (
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => {
            const below = detail?.(row);
            return (
              <Fragment key={rowKey(row)}>
                <tr data-testid={rowTestId?.(row)} className={rowClassName?.(row)}>
                  {columns.map((column, index) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: columns are a fixed list
                    <td key={index} className={column.className} style={column.style}>
                      {column.cell(row)}
                    </td>
                  ))}
                  {actions ? (
                    <td>
                      <div className={styles.rowActions}>{actions(row)}</div>
                    </td>
                  ) : null}
                </tr>
                {below ? (
                  <tr>
                    <td colSpan={width} style={{ height: 'auto', padding: 0, whiteSpace: 'normal' }}>
                      {below}
                    </td>
                  </tr>
                ) : null}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/**
 * A one-line create form. `onSubmit` gets the form's values; when it resolves the form is
 * cleared, when it throws the form keeps what was typed (the mutation's error is in the panel's
 * ErrorBanner, so nothing is shown twice).
 */
export function InlineForm({
  testId,
  submitLabel,
  pendingLabel,
  pending,
  disabled,
  onSubmit,
  children,
}: {
  testId: string;
  submitLabel: string;
  pendingLabel: string;
  pending: boolean;
  disabled?: boolean;
  onSubmit: (values: FormData) => Promise<void>;
  children: ReactNode;
}) {
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    try {
      await onSubmit(new FormData(form));
      form.reset();
    } catch {
      // Shown by the panel's ErrorBanner.
    }
  };
  return (
    <form className={styles.inlineForm} onSubmit={submit} data-testid={testId}>
      {children}
      <button type="submit" className="button button-primary" disabled={pending || disabled}>
        {pending ? pendingLabel : submitLabel}
      </button>
    </form>
  );
}

/** A labelled text input that takes the free width of an InlineForm. */
export function TextField({
  id,
  label,
  ...input
}: { id: string; label: string } & Omit<InputHTMLAttributes<HTMLInputElement>, 'id' | 'className'>) {
  return (
    <div className={`field ${styles.grow}`}>
      <label className="field-label" htmlFor={id}>
        {label}
      </label>
      <input id={id} className="input" {...input} />
    </div>
  );
}

/** A labelled select of fixed width in an InlineForm. */
export function SelectField<Value extends string>({
  id,
  label,
  value,
  options,
  onChange,
}: {
  id: string;
  label: string;
  value: Value;
  options: readonly { value: Value; label: string }[];
  onChange: (value: Value) => void;
}) {
  return (
    <div className={`field ${styles.fixed}`}>
      <label className="field-label" htmlFor={id}>
        {label}
      </label>
      <select id={id} className="select" value={value} onChange={(e) => onChange(e.target.value as Value)}>
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </div>
  );
}

/** The roles, strongest first, as select options. */
export const ROLE_OPTIONS: readonly { value: Role; label: string }[] = [...ROLES]
  .reverse()
  .map((role) => ({ value: role, label: role }));
