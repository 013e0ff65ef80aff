'use client';

import type { RealtimeAlert } from '@peregrine/protocol';
import { useInfiniteQuery, useQuery, useQueryClient } from '@tanstack/react-query';
import type { RowSelectionState } from '@tanstack/react-table';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { AlertRow } from '@/server/routers/alerts/alert-filter.schema';
import { useTRPC } from '@/trpc/client';
import { AlertDetail } from './alert-detail';
import { AlertTable } from './alert-table';
import styles from './alerts.module.css';
import { alertsErrorText } from './error-text';
import { BulkBar } from './bulk-bar';
import { ExportLinks } from './export-links';
import { FilterBar, type Member } from './filter-bar';
import { filterToParams, parseFilterParams, type UrlFilter } from './filter-url';
import { GroupTable } from './group-table';
import { matchesFilter } from './match-filter';
import { SavedViews } from './saved-views';
import { type LiveStatus, useLiveAlerts } from './use-live-alerts';

export interface AlertsViewProps {
  environments: { id: string; name: string; displayName: string }[];
  /** The environment switcher's choice, used when the URL names none. */
  switcherEnvironment: string | null;
  canTriage: boolean;
  /** Authors make rule tests and exceptions from an alert. */
  canAuthor?: boolean;
  viewerId: string;
}

const PAGE_SIZE = 100;
/** How long a live row stays highlighted. */
const FRESH_MS = 4000;

function toRow(a: RealtimeAlert, environmentId: string): AlertRow {
  return {
    id: a.id,
    environmentId,
    rule: a.rule,
    priority: a.priority,
    source: a.source,
    output: a.output,
    outputFields: a.outputFields,
    tags: a.tags,
    hostname: a.hostname,
    eventTime: a.eventTime,
    createdAt: a.createdAt,
    status: 'open',
    assigneeId: null,
    assigneeName: null,
    groupId: a.groupId,
  };
}

/** Decimal ids compare by length first: "10" comes after "9". */
function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** The list's order: event time descending, then id descending (the repository's keyset order). */
function newestFirst(a: AlertRow, b: AlertRow): number {
  if (a.eventTime !== b.eventTime) return a.eventTime < b.eventTime ? 1 : -1;
  return compareIds(b.id, a.id);
}

const LIVE_LABELS: Record<LiveStatus, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  offline: 'Reconnecting…',
  disabled: 'Live updates off',
};

/** The alerts page: filters in the URL, live table or groups, detail panel, triage. */
export function AlertsView({
  environments,
  switcherEnvironment,
  canTriage,
  canAuthor = false,
  viewerId,
}: AlertsViewProps) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const filter = useMemo(
    () => parseFilterParams(new URLSearchParams(params.toString()), switcherEnvironment),
    [params, switcherEnvironment],
  );
  const filterKey = useMemo(() => filterToParams(filter).toString(), [filter]);
  const tab = params.get('tab') === 'groups' ? 'groups' : 'list';
  const openId = params.get('alert');
  const environmentId = environments.find((e) => e.name === filter.environment)?.id ?? null;
  const environmentNames = useMemo(
    () => Object.fromEntries(environments.map((e) => [e.id, e.displayName])),
    [environments],
  );

  // A navigation lands later (the page asks the server first), so `params` lags behind what this
  // page last wrote: a second change made meanwhile must build on the first, not on the old URL.
  // `written` are the query strings sent, oldest first; `from` is what the URL read then.
  const writes = useRef<{ from: string; written: string[] }>({ from: '', written: [] });
  const currentParams = useCallback((): URLSearchParams => {
    const shown = params.toString();
    const w = writes.current;
    const last = w.written.at(-1);
    if (last !== undefined && (shown === w.from || w.written.slice(0, -1).includes(shown))) {
      return new URLSearchParams(last);
    }
    // Our last write landed, or the URL changed by other means (back button, a link): it wins.
    writes.current = { from: shown, written: [] };
    return new URLSearchParams(shown);
  }, [params]);
  const navigate = useCallback(
    (next: URLSearchParams) => {
      currentParams();
      writes.current.written.push(next.toString());
      router.replace(`${pathname}?${next.toString()}`, { scroll: false });
    },
    [router, pathname, currentParams],
  );
  const setFilter = useCallback(
    (change: (current: UrlFilter) => UrlFilter) => {
      const base = currentParams();
      const p = filterToParams(change(parseFilterParams(base, switcherEnvironment)), base);
      p.delete('alert');
      navigate(p);
    },
    [navigate, currentParams, switcherEnvironment],
  );
  const setParam = useCallback(
    (key: string, value: string | null) => {
      const p = currentParams();
      if (value === null) p.delete(key);
      else p.set(key, value);
      navigate(p);
    },
    [navigate, currentParams],
  );

  const membersQuery = useQuery(trpc.organization.listMembers.queryOptions());
  const members: Member[] = useMemo(
    () => (membersQuery.data ?? []).map((m) => ({ userId: m.userId, name: m.name })),
    [membersQuery.data],
  );

  const listInput = useMemo(() => ({ filter, limit: PAGE_SIZE }), [filter]);
  const list = useInfiniteQuery({
    ...trpc.alerts.list.infiniteQueryOptions(listInput, {
      getNextPageParam: (page) => page.nextCursor ?? undefined,
    }),
    enabled: tab === 'list',
    staleTime: Number.POSITIVE_INFINITY,
  });

  // Live rows sit above the fetched pages until the next refetch; both are keyed by id.
  const [live, setLive] = useState<AlertRow[]>([]);
  const [pending, setPending] = useState<AlertRow[]>([]);
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const [selection, setSelection] = useState<RowSelectionState>({});
  const [allMatching, setAllMatching] = useState(false);
  const [bulkResult, setBulkResult] = useState<string | null>(null);
  const scrollRef = useRef<HTMLDivElement | null>(null);
  const atTop = useRef(true);

  // A different filter is a different list: live rows and selection belong to the old one.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset exactly when the filter changes
  useEffect(() => {
    setLive([]);
    setPending([]);
    setSelection({});
    setAllMatching(false);
  }, [filterKey]);

  // One order, the server's: newest event first (ties by id). A live alert whose event is old (a
  // late delivery) goes where a reload would put it, not on top; one older than every loaded row
  // waits for the page that holds it.
  const rows = useMemo(() => {
    const fetched = list.data?.pages.flatMap((p) => p.rows) ?? [];
    const seen = new Set(fetched.map((r) => r.id));
    const oldest = list.hasNextPage ? fetched.at(-1) : undefined;
    const extra = live.filter((r) => !seen.has(r.id) && !(oldest && newestFirst(r, oldest) > 0));
    return extra.length ? [...extra, ...fetched].sort(newestFirst) : fetched;
  }, [list.data, list.hasNextPage, live]);

  const markFresh = useCallback((ids: string[]) => {
    setFresh((prev) => new Set([...prev, ...ids]));
    setTimeout(() => {
      setFresh((prev) => {
        const next = new Set(prev);
        for (const id of ids) next.delete(id);
        return next;
      });
    }, FRESH_MS);
  }, []);

  const onLive = useCallback(
    (alerts: RealtimeAlert[], envId: string) => {
      const matching = alerts
        .map((a) => toRow(a, envId))
        .filter((r) => matchesFilter(r, filter, environmentId));
      if (matching.length === 0) return;
      // Scrolled down: do not move the rows under the user's eyes; offer them instead.
      if (!atTop.current) {
        setPending((prev) => [...matching, ...prev].slice(0, 1000));
        return;
      }
      setLive((prev) => [...matching, ...prev].slice(0, 2000));
      markFresh(matching.map((r) => r.id));
    },
    [filter, environmentId, markFresh],
  );
  const liveStatus = useLiveAlerts(filter.environment, onLive);

  const showPending = () => {
    setLive((prev) => [...pending, ...prev].slice(0, 2000));
    markFresh(pending.map((r) => r.id));
    setPending([]);
    scrollRef.current?.scrollTo({ top: 0 });
  };

  const onScroll = () => {
    const top = (scrollRef.current?.scrollTop ?? 0) < 8;
    atTop.current = top;
    if (top && pending.length) showPending();
    const el = scrollRef.current;
    if (
      el &&
      list.hasNextPage &&
      !list.isFetchingNextPage &&
      el.scrollTop + el.clientHeight > el.scrollHeight - 600
    ) {
      void list.fetchNextPage();
    }
  };

  const refreshAll = useCallback(async () => {
    setLive([]);
    await queryClient.invalidateQueries({ queryKey: trpc.alerts.list.infiniteQueryKey(listInput) });
    // pathKey: every input and query type (the grouped view is an infinite query).
    await queryClient.invalidateQueries({ queryKey: trpc.alerts.listGroups.pathKey() });
    await queryClient.invalidateQueries({ queryKey: trpc.alerts.get.queryKey() });
  }, [queryClient, trpc, listInput]);

  const onFilterValue = useCallback(
    (kind: 'rule' | 'host', value: string) => {
      if (kind === 'rule') setFilter((f) => ({ ...f, rules: [...new Set([...(f.rules ?? []), value])] }));
      else setFilter((f) => ({ ...f, hostnames: [...new Set([...(f.hostnames ?? []), value])] }));
    },
    [setFilter],
  );

  const selectedIds = Object.keys(selection).filter((id) => selection[id]);

  return (
    <div className={`${styles.layout} ${openId ? styles.layoutWithDetail : ''}`}>
      <div className="panel" style={{ minWidth: 0 }}>
        <FilterBar filter={filter} environments={environments} members={members} onChange={setFilter} />
        <div className={styles.tabs}>
          <button
            type="button"
            className={`${styles.tab} ${tab === 'list' ? styles.tabActive : ''}`}
            onClick={() => setParam('tab', null)}
          >
            Alerts
          </button>
          <button
            type="button"
            data-testid="tab-groups"
            className={`${styles.tab} ${tab === 'groups' ? styles.tabActive : ''}`}
            onClick={() => setParam('tab', 'groups')}
          >
            Grouped
          </button>
          <span className={styles.tabSpacer} />
          <SavedViews params={params} onApply={(p) => navigate(p)} viewerId={viewerId} />
          <ExportLinks filter={filter} />
          <span className={styles.live} data-testid="live-status" data-status={liveStatus}>
            <span className={styles.liveDot} data-status={liveStatus} />
            {LIVE_LABELS[liveStatus]}
          </span>
        </div>
        {tab === 'groups' ? (
          <GroupTable
            filter={filter}
            environmentNames={environmentNames}
            canTriage={canTriage}
            canAuthor={canAuthor}
            members={members}
            onTriaged={() => {
              void refreshAll();
              void queryClient.invalidateQueries({ queryKey: trpc.alerts.count.pathKey() });
            }}
            onOpenGroup={(groupId) => {
              const base = currentParams();
              const p = filterToParams(
                { ...parseFilterParams(base, switcherEnvironment), group: groupId },
                base,
              );
              p.delete('tab');
              navigate(p);
            }}
          />
        ) : (
          <>
            {canTriage && (selectedIds.length > 0 || allMatching) ? (
              <BulkBar
                filter={filter}
                selectedIds={selectedIds}
                loadedCount={rows.length}
                allMatching={allMatching}
                onAllMatching={setAllMatching}
                members={members}
                onDone={(summary) => {
                  setBulkResult(summary);
                  setSelection({});
                  setAllMatching(false);
                  void refreshAll();
                }}
              />
            ) : null}
            {bulkResult ? (
              <div className={styles.bulk} role="status" data-testid="bulk-result">
                {bulkResult}
                <button type="button" className={styles.linkish} onClick={() => setBulkResult(null)}>
                  Dismiss
                </button>
              </div>
            ) : null}
            {pending.length ? (
              <button
                type="button"
                className={`${styles.banner} ${styles.linkish}`}
                style={{ width: '100%' }}
                onClick={showPending}
                data-testid="pending-banner"
              >
                {pending.length} new alert{pending.length === 1 ? '' : 's'} — show
              </button>
            ) : null}
            <AlertTable
              rows={rows}
              environmentNames={environmentNames}
              selection={selection}
              onSelectionChange={(s) => {
                setSelection(s);
                setAllMatching(false);
              }}
              fresh={fresh}
              openId={openId}
              onOpen={(id) => setParam('alert', id)}
              onFilter={onFilterValue}
              scrollRef={scrollRef}
              onScroll={onScroll}
              canSelect={canTriage}
              showEnvironment={!filter.environment}
              compact={openId !== null}
              footer={
                <div className={styles.footer}>
                  {list.isPending ? (
                    'Loading alerts…'
                  ) : list.isError ? (
                    <span className={styles.error} data-testid="alerts-error">
                      {alertsErrorText(list.error)}
                    </span>
                  ) : rows.length === 0 ? (
                    <div className={styles.empty} data-testid="alerts-empty">
                      No alerts match these filters
                      {liveStatus === 'live' ? ' yet; new ones will appear here live.' : '.'}
                    </div>
                  ) : list.hasNextPage ? (
                    <button
                      type="button"
                      className="button"
                      disabled={list.isFetchingNextPage}
                      onClick={() => void list.fetchNextPage()}
                    >
                      {list.isFetchingNextPage ? 'Loading…' : 'Load more'}
                    </button>
                  ) : (
                    `${rows.length.toLocaleString()} alert${rows.length === 1 ? '' : 's'}, end of list`
                  )}
                </div>
              }
            />
          </>
        )}
      </div>
      {openId ? (
        <AlertDetail
          key={openId}
          id={openId}
          members={members}
          canTriage={canTriage}
          canAuthor={canAuthor}
          onClose={() => setParam('alert', null)}
          onOpen={(id) => setParam('alert', id)}
          onFilterField={(key, value) =>
            setFilter((f) => ({ ...f, fields: [...(f.fields ?? []), { key, value }] }))
          }
          onChanged={() => {
            void queryClient.invalidateQueries({ queryKey: trpc.alerts.list.infiniteQueryKey(listInput) });
          }}
        />
      ) : null}
    </div>
  );
}
