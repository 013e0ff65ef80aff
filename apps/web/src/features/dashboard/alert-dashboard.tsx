'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter, useSearchParams } from 'next/navigation';
import type { CSSProperties } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Cell,
  Legend,
  Pie,
  PieChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { filterToParams, parseFilterParams, type UrlFilter } from '@/features/alerts/filter-url';
import { PRIORITY_COLORS } from '@/features/alerts/priority';
import {
  PRIORITIES,
  type Priority,
  RANGES,
  type TimeRange,
} from '@/server/routers/alerts/alert-filter.schema';
import { useTRPC } from '@/trpc/client';
import styles from './dashboard.module.css';

const RANGE_LABELS: Record<TimeRange, string> = {
  '15m': 'Last 15 minutes',
  '1h': 'Last hour',
  '6h': 'Last 6 hours',
  '24h': 'Last 24 hours',
  '7d': 'Last 7 days',
  '30d': 'Last 30 days',
};

const SOURCE_COLORS = [
  '#2456d6',
  '#1c7c47',
  '#a85d00',
  '#8e44ad',
  '#c62828',
  '#00838f',
  '#5d4037',
  '#546e7a',
];

const axisTick = { fill: 'var(--text-muted)', fontSize: 11 };

function formatBucket(iso: string, bucketSeconds: number): string {
  const d = new Date(iso);
  return bucketSeconds >= 86_400
    ? d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })
    : bucketSeconds >= 3 * 3600
      ? d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', hour12: false })
      : d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', hour12: false });
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * Alerts over time by priority, top rules, sources, hosts and namespaces for the switcher's
 * environment. Every bar, slice and tile opens the alert list filtered to it.
 */
export function AlertDashboard({ environment }: { environment: string | null }) {
  const trpc = useTRPC();
  const router = useRouter();
  const params = useSearchParams();
  const range: TimeRange = (RANGES as readonly string[]).includes(params.get('range') ?? '')
    ? (params.get('range') as TimeRange)
    : '24h';
  const base: UrlFilter = { ...parseFilterParams(new URLSearchParams(), environment), range };
  const dashboard = useQuery({
    ...trpc.dashboard.getAlerts.queryOptions({ filter: base }),
    refetchInterval: 30_000,
  });

  const alertsHref = (patch: Partial<UrlFilter>) =>
    `/alerts?${filterToParams({ ...base, ...patch }).toString()}`;
  const open = (patch: Partial<UrlFilter>) => router.push(alertsHref(patch));

  const data = dashboard.data;
  const overTime = (() => {
    if (!data) return [];
    // Every bucket of the range, empty ones included, so the axis spans the whole period.
    const rows = new Map<string, Record<string, number | string>>();
    const step = data.bucketSeconds * 1000;
    const first = Math.floor(Date.parse(data.from) / 3_600_000) * 3_600_000;
    for (let t = first; t < Date.parse(data.to); t += step) {
      const key = new Date(t).toISOString();
      rows.set(key, { bucket: key });
    }
    for (const b of data.overTime) {
      const key = new Date(b.bucket).toISOString();
      const row = rows.get(key) ?? { bucket: key };
      row[b.priority] = b.count;
      rows.set(key, row);
    }
    return [...rows.values()].sort((a, b) => String(a.bucket).localeCompare(String(b.bucket)));
  })();
  const present = PRIORITIES.filter((p) => data?.byPriority.some((x) => x.priority === p));

  return (
    <div data-testid="alert-dashboard">
      <div className={styles.toolbar}>
        <select
          className="select"
          aria-label="Time range"
          data-testid="dashboard-range"
          value={range}
          onChange={(e) => router.replace(`/?range=${e.target.value}`, { scroll: false })}
        >
          {RANGES.map((r) => (
            <option key={r} value={r}>
              {RANGE_LABELS[r]}
            </option>
          ))}
        </select>
        {dashboard.isFetching ? <span className={styles.note}>Refreshing…</span> : null}
        <span style={{ flex: 1 }} />
        <Link className="button" href={`/alerts?${filterToParams(base).toString()}`}>
          Open in alerts
        </Link>
      </div>
      {dashboard.isError ? <p className="field-error">{dashboard.error.message}</p> : null}
      <div className={styles.tiles}>
        <button type="button" className={styles.tile} onClick={() => open({})} data-testid="dashboard-total">
          <span className={styles.tileLabel}>All alerts</span>
          <span className={styles.tileValue}>{data ? data.total.toLocaleString() : '…'}</span>
        </button>
        <button
          type="button"
          className={styles.tile}
          onClick={() => open({ statuses: ['open'] })}
          style={{ '--tile-color': 'var(--accent)' } as CSSProperties}
        >
          <span className={styles.tileLabel}>Open</span>
          <span className={styles.tileValue}>
            {data ? (data.byStatus.find((s) => s.key === 'open')?.count ?? 0).toLocaleString() : '…'}
          </span>
        </button>
        {PRIORITIES.slice(0, 5).map((p) => (
          <button
            key={p}
            type="button"
            className={styles.tile}
            style={{ '--tile-color': PRIORITY_COLORS[p] } as CSSProperties}
            onClick={() => open({ priority: { op: 'eq', value: p } })}
          >
            <span className={styles.tileLabel}>{p}</span>
            <span className={styles.tileValue}>
              {data ? (data.byPriority.find((x) => x.priority === p)?.count ?? 0).toLocaleString() : '…'}
            </span>
          </button>
        ))}
      </div>
      <div className={styles.grid}>
        <section className={`panel ${styles.wide}`} data-testid="chart-over-time">
          <div className="panel-header">
            <h2>Alerts over time by priority</h2>
          </div>
          <div className={styles.chart}>
            {data && data.total === 0 ? (
              <div className={styles.none}>No alerts in this period.</div>
            ) : (
              <ResponsiveContainer width="100%" height={260}>
                <BarChart data={overTime} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
                  <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" vertical={false} />
                  <XAxis
                    dataKey="bucket"
                    tick={axisTick}
                    tickFormatter={(v: string) => formatBucket(v, data?.bucketSeconds ?? 3600)}
                    minTickGap={24}
                  />
                  <YAxis tick={axisTick} allowDecimals={false} width={48} />
                  <Tooltip
                    labelFormatter={(v) => new Date(String(v)).toLocaleString()}
                    contentStyle={{
                      background: 'var(--bg-raised)',
                      border: '1px solid var(--border)',
                      fontSize: 12,
                    }}
                  />
                  <Legend wrapperStyle={{ fontSize: 12 }} />
                  {present.map((p) => (
                    <Bar
                      key={p}
                      dataKey={p}
                      stackId="priority"
                      maxBarSize={40}
                      fill={PRIORITY_COLORS[p]}
                      isAnimationActive={false}
                      cursor="pointer"
                      onClick={(entry) => {
                        const bucket = String(
                          (entry as { payload?: { bucket?: string } }).payload?.bucket ?? '',
                        );
                        if (!bucket || !data) return;
                        const from = new Date(bucket);
                        const to = new Date(from.getTime() + data.bucketSeconds * 1000);
                        open({
                          range: null,
                          from: from.toISOString(),
                          to: to.toISOString(),
                          priority: { op: 'eq', value: p as Priority },
                        });
                      }}
                    />
                  ))}
                </BarChart>
              </ResponsiveContainer>
            )}
          </div>
        </section>
        <CountChart
          title="Top rules"
          testId="chart-top-rules"
          rows={data?.topRules}
          color="#2456d6"
          hrefOf={(rule) => alertsHref({ rules: [rule] })}
          onPick={(rule) => open({ rules: [rule] })}
        />
        <section className="panel" data-testid="chart-by-source">
          <div className="panel-header">
            <h2>By source</h2>
          </div>
          <div className={styles.chart}>
            {data && data.bySource.length === 0 ? (
              <div className={styles.none}>No alerts in this period.</div>
            ) : (
              <ResponsiveContainer width="100%" height={260}>
                <PieChart>
                  <Pie
                    data={data?.bySource ?? []}
                    dataKey="count"
                    nameKey="key"
                    innerRadius={55}
                    outerRadius={95}
                    isAnimationActive={false}
                    cursor="pointer"
                    onClick={(entry) => {
                      const key = (entry as { key?: string; payload?: { key?: string } }).payload?.key;
                      if (key) open({ sources: [key] });
                    }}
                  >
                    {(data?.bySource ?? []).map((s, i) => (
                      <Cell key={s.key} fill={SOURCE_COLORS[i % SOURCE_COLORS.length]} />
                    ))}
                  </Pie>
                  <Tooltip
                    contentStyle={{
                      background: 'var(--bg-raised)',
                      border: '1px solid var(--border)',
                      fontSize: 12,
                    }}
                  />
                  <Legend wrapperStyle={{ fontSize: 12 }} />
                </PieChart>
              </ResponsiveContainer>
            )}
          </div>
        </section>
        <CountChart
          title="Top hosts"
          testId="chart-by-host"
          rows={data?.byHost}
          color="#1c7c47"
          hrefOf={(host) => alertsHref({ hostnames: [host] })}
          onPick={(host) => open({ hostnames: [host] })}
        />
        <CountChart
          title="Top Kubernetes namespaces"
          testId="chart-by-namespace"
          rows={data?.byNamespace}
          color="#8e44ad"
          hrefOf={(ns) => alertsHref({ fields: [{ key: 'k8s.ns.name', value: ns }] })}
          onPick={(ns) => open({ fields: [{ key: 'k8s.ns.name', value: ns }] })}
        />
      </div>
    </div>
  );
}

/** A y-axis label of a CountChart: a link to its row's alerts, like the row itself. */
function PickableTick({
  x,
  y,
  payload,
  hrefOf,
  onPick,
}: {
  x?: number | string;
  y?: number | string;
  payload?: { value?: unknown };
  hrefOf: (key: string) => string;
  onPick: (key: string) => void;
}) {
  const key = String(payload?.value ?? '');
  return (
    <a
      href={hrefOf(key)}
      className={styles.pickable}
      data-testid="chart-row-label"
      onClick={(e) => {
        // Client-side navigation, as a click on the bar does.
        e.preventDefault();
        onPick(key);
      }}
    >
      <title>{key}</title>
      <text x={x} y={y} dy={4} textAnchor="end" fill="var(--text-muted)" fontSize={11}>
        {truncate(key, 30)}
      </text>
    </a>
  );
}

/**
 * A horizontal bar chart of the top values of one dimension. A click anywhere on a value's row
 * (its label, its bar or the space beside the bar) picks it.
 */
function CountChart({
  title,
  testId,
  rows,
  color,
  hrefOf,
  onPick,
}: {
  title: string;
  testId: string;
  rows: { key: string; count: number }[] | undefined;
  color: string;
  /** Where a value's row leads (the alerts filtered to it). */
  hrefOf: (key: string) => string;
  onPick: (key: string) => void;
}) {
  return (
    <section className="panel" data-testid={testId}>
      <div className="panel-header">
        <h2>{title}</h2>
      </div>
      <div className={styles.chart}>
        {rows && rows.length === 0 ? (
          <div className={styles.none}>Nothing in this period.</div>
        ) : (
          <ResponsiveContainer width="100%" height={260}>
            <BarChart
              data={rows ?? []}
              layout="vertical"
              margin={{ top: 0, right: 16, bottom: 0, left: 0 }}
              className={styles.pickable}
              // The row under the pointer (the tooltip's), wherever in the plot it was clicked.
              onClick={(state) => {
                const index = Number(state?.activeTooltipIndex);
                const key = Number.isInteger(index) ? rows?.[index]?.key : undefined;
                if (key !== undefined) onPick(key);
              }}
            >
              <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" horizontal={false} />
              <XAxis type="number" tick={axisTick} allowDecimals={false} />
              <YAxis
                type="category"
                dataKey="key"
                width={190}
                tick={(props: {
                  x?: number | string;
                  y?: number | string;
                  payload?: { value?: unknown };
                }) => (
                  <PickableTick
                    x={props.x}
                    y={props.y}
                    payload={props.payload}
                    hrefOf={hrefOf}
                    onPick={onPick}
                  />
                )}
                interval={0}
              />
              <Tooltip
                cursor={{ fill: 'var(--bg-hover)' }}
                contentStyle={{
                  background: 'var(--bg-raised)',
                  border: '1px solid var(--border)',
                  fontSize: 12,
                }}
              />
              <Bar dataKey="count" maxBarSize={26} fill={color} isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        )}
      </div>
    </section>
  );
}
