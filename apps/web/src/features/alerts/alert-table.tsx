'use client';

import {
  createColumnHelper,
  type RowSelectionState,
  rowSelectionFeature,
  tableFeatures,
  useTable,
} from '@tanstack/react-table';
import { useVirtualizer } from '@tanstack/react-virtual';
import { type RefObject, useMemo } from 'react';
import type { AlertRow } from '@/server/routers/alerts/alert-filter.schema';
import { outputMessage } from '@peregrine/engine/display';
import styles from './alerts.module.css';
import { PriorityLabel, StatusLabel, Time } from './priority';

const features = tableFeatures({ rowSelectionFeature });
const column = createColumnHelper<typeof features, AlertRow>();

const ROW_HEIGHT = 37;

export interface AlertTableProps {
  rows: AlertRow[];
  environmentNames: Record<string, string>;
  selection: RowSelectionState;
  onSelectionChange: (next: RowSelectionState) => void;
  /** Rows that just arrived live: highlighted for a few seconds. */
  fresh: ReadonlySet<string>;
  openId: string | null;
  onOpen: (id: string) => void;
  onFilter: (kind: 'rule' | 'host', value: string) => void;
  scrollRef: RefObject<HTMLDivElement | null>;
  onScroll: () => void;
  footer: React.ReactNode;
  canSelect: boolean;
  /** Off when the list shows one environment: the column would repeat its name on every row. */
  showEnvironment: boolean;
  /**
   * Beside the detail panel: host, environment and assignee (all in the panel) give their width
   * to the output, so no column is cut off and the message stays readable. Status stays: rows
   * change status from the panel and the list should show it.
   */
  compact: boolean;
}

/** Columns left out beside the detail panel. */
const WIDE_ONLY = new Set(['hostname', 'environmentId', 'assigneeName']);

/** Column widths by id: the output takes what is left. */
const WIDTHS: Record<string, string> = {
  select: '32px',
  eventTime: '124px',
  priority: '96px',
  rule: '14%',
  output: 'auto',
  hostname: '120px',
  environmentId: '88px',
  status: '108px',
  assigneeName: '112px',
};

/**
 * The alert list: TanStack Table for columns and selection (keyed by alert id, so selection
 * survives live inserts and page loads), virtualised rows so thousands of loaded alerts stay
 * smooth. Every value is rendered as React text: alert content is attacker-controlled.
 */
export function AlertTable(props: AlertTableProps) {
  const { rows, environmentNames, selection, onSelectionChange, fresh, openId, onOpen, onFilter, canSelect } =
    props;
  const showEnvironment = props.showEnvironment;
  const columns = useMemo(
    () =>
      column.columns([
        column.display({
          id: 'select',
          header: ({ table }) =>
            canSelect ? (
              <input
                type="checkbox"
                aria-label="Select all loaded alerts"
                checked={table.getIsAllRowsSelected()}
                ref={(el) => {
                  if (el) el.indeterminate = table.getIsSomeRowsSelected();
                }}
                onChange={table.getToggleAllRowsSelectedHandler()}
              />
            ) : null,
          cell: ({ row }) =>
            canSelect ? (
              <input
                type="checkbox"
                aria-label={`Select alert ${row.original.id}`}
                checked={row.getIsSelected()}
                onClick={(e) => e.stopPropagation()}
                onChange={row.getToggleSelectedHandler()}
              />
            ) : null,
        }),
        column.accessor('eventTime', { header: 'Time', cell: (c) => <Time iso={c.getValue()} /> }),
        column.accessor('priority', {
          header: 'Priority',
          cell: (c) => <PriorityLabel priority={c.getValue()} />,
        }),
        column.accessor('rule', {
          header: 'Rule',
          cell: (c) => (
            <button
              type="button"
              className={styles.linkish}
              title={`Only ${c.getValue()}`}
              onClick={(e) => {
                e.stopPropagation();
                onFilter('rule', c.getValue());
              }}
            >
              {c.getValue()}
            </button>
          ),
        }),
        column.accessor('output', {
          header: 'Output',
          cell: (c) => (
            <span className={styles.mono} title={c.getValue()} data-testid="alert-row-output">
              {outputMessage(c.getValue())}
            </span>
          ),
        }),
        column.accessor('hostname', {
          header: 'Host',
          cell: (c) => {
            const host = c.getValue();
            return host ? (
              <button
                type="button"
                className={styles.linkish}
                onClick={(e) => {
                  e.stopPropagation();
                  onFilter('host', host);
                }}
              >
                {host}
              </button>
            ) : (
              <span className={styles.muted}>—</span>
            );
          },
        }),
        column.accessor('environmentId', {
          header: 'Env',
          cell: (c) => <span className={styles.muted}>{environmentNames[c.getValue()] ?? ''}</span>,
        }),
        column.accessor('status', { header: 'Status', cell: (c) => <StatusLabel status={c.getValue()} /> }),
        column.accessor('assigneeName', {
          header: 'Assignee',
          cell: (c) => c.getValue() ?? <span className={styles.muted}>—</span>,
        }),
      ]),
    [canSelect, environmentNames, onFilter],
  );
  const compact = props.compact;
  const visibleColumns = useMemo(() => {
    const idOf = (c: (typeof columns)[number]) => c.id ?? ('accessorKey' in c ? String(c.accessorKey) : '');
    return columns.filter((c) => {
      const id = idOf(c);
      if (id === 'environmentId' && !showEnvironment) return false;
      return !(compact && WIDE_ONLY.has(id));
    });
  }, [columns, showEnvironment, compact]);

  const table = useTable({
    features,
    columns: visibleColumns,
    data: rows,
    getRowId: (row) => row.id,
    enableRowSelection: canSelect,
    state: { rowSelection: selection },
    onRowSelectionChange: (updater) =>
      onSelectionChange(typeof updater === 'function' ? updater(selection) : updater),
  });

  const tableRows = table.getRowModel().rows;
  const virtualizer = useVirtualizer({
    count: tableRows.length,
    getScrollElement: () => props.scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const items = virtualizer.getVirtualItems();
  const padTop = items[0]?.start ?? 0;
  const padBottom = items.length ? virtualizer.getTotalSize() - (items.at(-1)?.end ?? 0) : 0;
  const widths = visibleColumns.map(
    (c) => WIDTHS[c.id ?? ('accessorKey' in c ? String(c.accessorKey) : '')] ?? 'auto',
  );

  return (
    <div
      className={styles.scroller}
      ref={props.scrollRef}
      onScroll={props.onScroll}
      data-testid="alert-scroller"
    >
      <table className={`${styles.table} ${compact ? styles.tableCompact : ''}`} data-testid="alert-table">
        <colgroup>
          {widths.map((w, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: fixed column layout
            <col key={i} style={{ width: w }} />
          ))}
        </colgroup>
        <thead>
          {table.getHeaderGroups().map((group) => (
            <tr key={group.id}>
              {group.headers.map((header) => (
                <th key={header.id}>
                  <table.FlexRender header={header} />
                </th>
              ))}
            </tr>
          ))}
        </thead>
        <tbody>
          {padTop > 0 ? (
            <tr>
              <td colSpan={visibleColumns.length} style={{ height: padTop, padding: 0, border: 0 }} />
            </tr>
          ) : null}
          {items.map((item) => {
            const row = tableRows[item.index];
            if (!row) return null;
            const id = row.original.id;
            const classes = [
              styles.row,
              row.getIsSelected() ? styles.rowSelected : '',
              openId === id ? styles.rowOpen : '',
              fresh.has(id) ? styles.rowNew : '',
            ].join(' ');
            return (
              <tr
                key={id}
                className={classes}
                data-testid="alert-row"
                data-alert-id={id}
                data-fresh={fresh.has(id) ? 'true' : undefined}
                onClick={() => onOpen(id)}
              >
                {row.getAllCells().map((cell) => (
                  <td key={cell.id}>
                    <table.FlexRender cell={cell} />
                  </td>
                ))}
              </tr>
            );
          })}
          {padBottom > 0 ? (
            <tr>
              <td colSpan={visibleColumns.length} style={{ height: padBottom, padding: 0, border: 0 }} />
            </tr>
          ) : null}
        </tbody>
      </table>
      {props.footer}
    </div>
  );
}
