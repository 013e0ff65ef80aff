'use client';

import { useInfiniteQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter, useSearchParams } from 'next/navigation';
import { useState } from 'react';
import { PriorityLabel, Time } from '@/features/alerts/priority';
import { LoadError, LoadingState } from '@/features/shell/load-state';
import { useTRPC } from '@/trpc/client';
import { EntityChips, ScoreBadge, SourceChips, TacticChips } from './incident-ui';
import styles from './incidents.module.css';

type StatusFilter = 'active' | 'open' | 'acknowledged' | 'resolved' | 'all';
/** Incidents per page ("Load more" fetches the next). */
const PAGE_SIZE = 50;

const FILTERS: Record<StatusFilter, ('open' | 'acknowledged' | 'resolved')[] | undefined> = {
  active: ['open', 'acknowledged'],
  open: ['open'],
  acknowledged: ['acknowledged'],
  resolved: ['resolved'],
  all: undefined,
};

/** Incidents of the organisation (or the switcher's environment), most recently active first. */
export function IncidentsList({
  environments,
  environment,
}: {
  environments: { id: string; name: string }[];
  environment: string | null;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const params = useSearchParams();
  // The ATT&CK matrix links here with `technique` (or `tactic`), `from`, `to` and `env`: the
  // incidents with at least one alert in the range whose tags name it.
  const attackId = params.get('technique') ?? params.get('tactic');
  const attackFrom = params.get('from');
  const attackTo = params.get('to');
  const attack = attackId && attackFrom && attackTo ? { id: attackId, from: attackFrom, to: attackTo } : null;
  // The matrix counts resolved incidents too: from it, every status, so the list matches the count.
  const [status, setStatus] = useState<StatusFilter>(attack ? 'all' : 'active');
  const environmentName = params.get('env') ?? environment;
  const environmentId = environments.find((e) => e.name === environmentName)?.id;
  const clearAttack = () => {
    const next = new URLSearchParams(params);
    for (const k of ['technique', 'tactic', 'from', 'to']) next.delete(k);
    const query = next.toString();
    router.replace(query ? `/incidents?${query}` : '/incidents', { scroll: false });
  };
  // Pages of PAGE_SIZE, keyset on (last seen, id); the filters are part of the query key, so a
  // change starts again from the first page and "Load more" keeps them.
  const list = useInfiniteQuery({
    ...trpc.incidents.list.infiniteQueryOptions(
      {
        ...(environmentId ? { environmentId } : {}),
        ...(FILTERS[status] ? { status: FILTERS[status] } : {}),
        ...(attack && environmentId ? { attack } : {}),
        limit: PAGE_SIZE,
      },
      { getNextPageParam: (page) => page.nextCursor ?? undefined },
    ),
    refetchInterval: 5_000,
  });
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <div className="panel">
      <div className="panel-body">
        <div className={styles.toolbar}>
          <label className="field-label" htmlFor="incident-status">
            Status
          </label>
          <select
            id="incident-status"
            className="select"
            style={{ width: 'auto' }}
            value={status}
            onChange={(e) => setStatus(e.target.value as StatusFilter)}
            data-testid="incident-status-filter"
          >
            <option value="active">Open and acknowledged</option>
            <option value="open">Open</option>
            <option value="acknowledged">Acknowledged</option>
            <option value="resolved">Resolved</option>
            <option value="all">All</option>
          </select>
          {attack ? (
            <span
              className={styles.filterChip}
              data-testid="filter-chip"
              title="Incidents with at least one alert in the range whose tags name it"
            >
              <span className={styles.muted}>{attack.id.startsWith('TA') ? 'tactic' : 'technique'}</span>
              <span className={styles.filterValue}>
                {attack.id} · {environmentName} · <Time iso={attack.from} /> – <Time iso={attack.to} />
              </span>
              <button
                type="button"
                className={styles.filterRemove}
                aria-label={`Remove ATT&CK filter ${attack.id}`}
                onClick={clearAttack}
              >
                ×
              </button>
            </span>
          ) : null}
        </div>
        {list.isPending ? <LoadingState label="Loading incidents…" testId="incidents-loading" /> : null}
        {list.isError ? (
          <LoadError
            what={list.data ? 'The newest incidents' : 'Incidents'}
            error={list.error}
            onRetry={() => void list.refetch()}
            retrying={list.isFetching}
            testId="incidents-error"
          />
        ) : null}
        {list.data && items.length === 0 ? (
          <div className="empty-state">
            <h2>No incidents</h2>
            <p>
              Alerts that share a pod, container, process, person, repository or IP within the window are
              grouped here.
            </p>
          </div>
        ) : null}
        {list.data && items.length > 0 ? (
          <table className={styles.table} data-testid="incidents-table">
            <thead>
              <tr>
                <th>Score</th>
                <th>Incident</th>
                <th>Status</th>
                <th>ATT&amp;CK tactics</th>
                <th>Entities</th>
                <th>Sources</th>
                <th>Alerts</th>
                <th>Last seen</th>
              </tr>
            </thead>
            <tbody>
              {items.map((i) => (
                <tr key={i.id} data-testid="incident-row">
                  <td>
                    <ScoreBadge score={i.score} />
                  </td>
                  <td>
                    <Link className={styles.title} href={`/incidents/${i.id}`}>
                      {i.title}
                    </Link>
                    <div className={styles.muted}>
                      <PriorityLabel priority={i.priority} /> {i.environmentName}
                      {i.assignee ? ` · ${i.assignee.name}` : ''}
                    </div>
                  </td>
                  <td>{i.status}</td>
                  <td>
                    <TacticChips tactics={i.tactics} />
                  </td>
                  <td>
                    <EntityChips entities={i.entities} />
                  </td>
                  <td>
                    <SourceChips sources={i.sources} />
                  </td>
                  <td>{i.alertCount}</td>
                  <td className={styles.muted}>
                    <Time iso={i.lastSeenAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        {list.hasNextPage ? (
          <div className={styles.toolbar}>
            <button
              type="button"
              className="button"
              disabled={list.isFetchingNextPage}
              onClick={() => void list.fetchNextPage()}
              data-testid="incidents-load-more"
            >
              {list.isFetchingNextPage ? 'Loading…' : 'Load more'}
            </button>
            <span className={styles.muted}>{items.length} shown</span>
          </div>
        ) : null}
      </div>
    </div>
  );
}
