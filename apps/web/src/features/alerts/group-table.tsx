'use client';

import { useInfiniteQuery } from '@tanstack/react-query';
import { useTRPC } from '@/trpc/client';
import styles from './alerts.module.css';
import type { UrlFilter } from './filter-url';
import { PriorityLabel, Time } from './priority';

/**
 * Repeated alerts (same rule and key fields), newest activity first: how many times, first and
 * last seen. Opening a group filters the alert list to it.
 */
export function GroupTable({
  filter,
  environmentNames,
  onOpenGroup,
}: {
  filter: UrlFilter;
  environmentNames: Record<string, string>;
  onOpenGroup: (groupId: string) => void;
}) {
  const trpc = useTRPC();
  const groups = useInfiniteQuery(
    trpc.alerts.listGroups.infiniteQueryOptions(
      { filter, limit: 100 },
      { getNextPageParam: (page) => page.nextCursor ?? undefined },
    ),
  );
  const rows = groups.data?.pages.flatMap((p) => p.rows) ?? [];
  return (
    <div className={styles.scroller} data-testid="group-table">
      <table className={styles.table}>
        <colgroup>
          <col style={{ width: '100px' }} />
          <col style={{ width: '24%' }} />
          <col />
          <col style={{ width: '90px' }} />
          <col style={{ width: '132px' }} />
          <col style={{ width: '132px' }} />
          <col style={{ width: '88px' }} />
          <col style={{ width: '80px' }} />
        </colgroup>
        <thead>
          <tr>
            <th>Priority</th>
            <th>Rule</th>
            <th>Last output</th>
            <th style={{ textAlign: 'right' }}>Count</th>
            <th>First seen</th>
            <th>Last seen</th>
            <th>Env</th>
            <th style={{ textAlign: 'right' }} title="Alerts of the group still open">
              Open
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((g) => (
            <tr key={g.id} className={styles.row} data-testid="group-row" onClick={() => onOpenGroup(g.id)}>
              <td>
                <PriorityLabel priority={g.priority} />
              </td>
              <td title={g.rule}>{g.rule}</td>
              <td className={styles.mono} title={g.lastOutput}>
                {g.lastOutput}
              </td>
              <td style={{ textAlign: 'right', fontVariantNumeric: 'tabular-nums' }}>
                {g.count.toLocaleString()}
              </td>
              <td>
                <Time iso={g.firstSeenAt} />
              </td>
              <td>
                <Time iso={g.lastSeenAt} />
              </td>
              <td className={styles.muted}>{environmentNames[g.environmentId] ?? ''}</td>
              <td style={{ textAlign: 'right', fontVariantNumeric: 'tabular-nums' }} data-testid="group-open">
                {g.openCount >= 100 ? '100+' : g.openCount}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className={styles.footer}>
        {groups.isPending ? (
          'Loading groups…'
        ) : groups.isError ? (
          <span className={styles.error}>{groups.error.message}</span>
        ) : rows.length === 0 ? (
          <div className={styles.empty}>No repeated alerts match these filters.</div>
        ) : groups.hasNextPage ? (
          <button type="button" className="button" onClick={() => void groups.fetchNextPage()}>
            Load more
          </button>
        ) : (
          `${rows.length.toLocaleString()} group${rows.length === 1 ? '' : 's'}`
        )}
      </div>
    </div>
  );
}
