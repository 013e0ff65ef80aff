'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { PageHeader } from '@/features/shell/page-header';
import { errorText, TimeAgo } from '@/features/rules/rules-ui';
import { useTRPC } from '@/trpc/client';
import { count, duration, progressPercent, rate, statusLabel } from './backtest-format';
import { BacktestSamples } from './backtest-samples';
import styles from './backtests.module.css';

const axisTick = { fontSize: 11, fill: 'var(--text-muted)' };
const ACTIVE = new Set(['queued', 'running']);

/**
 * One backtest at its shareable URL: progress while a collector runs it (polled every second),
 * then what the draft changes per rule, with samples that open the event and the alerts each
 * version raises on it.
 */
export function BacktestPage({ id, canCancel }: { id: string; canCancel: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const job = useQuery({
    ...trpc.backtests.get.queryOptions({ id }),
    refetchInterval: (q) => (q.state.data && ACTIVE.has(q.state.data.status) ? 1000 : false),
  });
  const cancel = useMutation(
    trpc.backtests.cancel.mutationOptions({
      onSuccess: (data) => queryClient.setQueryData(trpc.backtests.get.queryKey({ id }), data),
    }),
  );
  const [selected, setSelected] = useState<{ rule: string; change: 'added' | 'removed' } | null>(null);

  if (job.isPending) return <p className={styles.muted}>Loading backtest…</p>;
  if (job.error)
    return (
      <div className="alert-banner" role="alert">
        {errorText(job.error)}
      </div>
    );
  const j = job.data;
  const result = j.result;
  const rules = result?.tally.rules ?? [];
  const changed = rules.filter((r) => r.added + r.removed > 0);
  const pick =
    selected ??
    (changed[0] ? { rule: changed[0].rule, change: changed[0].added > 0 ? 'added' : 'removed' } : null);
  const percent = progressPercent(j.eventsScanned, j.eventsTotal, j.status);
  const perSecond = rate(j.eventsScanned, j.runMs);
  const running = ACTIVE.has(j.status);
  const baseline = j.baseline ? `v${j.baseline.number}` : 'nothing';

  return (
    <>
      <PageHeader
        title={`Backtest of ${j.ruleSet.name} v${j.draft.number}`}
        description={`Against ${baseline}, what ${j.environment.displayName} runs, with its overrides · ${new Date(
          j.from,
        ).toLocaleString()} to ${new Date(j.to).toLocaleString()} · ${
          j.sources.length > 0 ? j.sources.join(', ') : 'every source'
        }`}
        actions={
          <div style={{ display: 'flex', gap: 8 }}>
            <Link
              className="button button-ghost"
              href={`/rules/${j.ruleSet.id}?version=${j.draft.versionId}`}
            >
              Open v{j.draft.number}
            </Link>
            {canCancel && running ? (
              <button
                type="button"
                className="button"
                disabled={cancel.isPending || j.cancelRequestedAt !== null}
                onClick={() => cancel.mutate({ id })}
              >
                {j.cancelRequestedAt ? 'Cancelling…' : 'Cancel'}
              </button>
            ) : null}
          </div>
        }
      />
      {cancel.error ? (
        <div className="alert-banner" role="alert">
          {errorText(cancel.error)}
        </div>
      ) : null}

      <section className={`panel ${styles.progressPanel}`} aria-label="Progress">
        <div className={styles.progressLine}>
          <span
            className={styles.status}
            data-status={j.stalled ? 'stalled' : j.status}
            data-testid="backtest-status"
          >
            {statusLabel(j.status, j.stalled)}
          </span>
          <span data-testid="backtest-progress">
            {count(j.eventsScanned)} of {count(j.eventsTotal)} stored events ({percent} %)
          </span>
          {perSecond ? <span className={styles.faint}>{count(perSecond)} events/s</span> : null}
          <span className={styles.faint}>{duration(j.runMs)} run</span>
          <span className={styles.grow} />
          <span className={styles.faint}>
            asked <TimeAgo iso={j.createdAt} /> by {j.createdBy?.name ?? 'someone'}
            {j.createdBy?.kind === 'api_key' ? ' (API key)' : ''}
            {j.attempts > 1 ? ` · resumed ${j.attempts - 1}×` : ''}
          </span>
        </div>
        <div
          className={styles.bar}
          role="progressbar"
          aria-valuenow={percent}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-label="Events scanned"
        >
          <div className={styles.barFill} style={{ width: `${percent}%` }} />
        </div>
        {j.status === 'queued' ? (
          <p className={styles.note}>
            Waiting for a collector to pick it up (each collector runs one backtest at a time).
          </p>
        ) : null}
        {j.stalled ? (
          <p className={styles.note}>
            Its collector stopped answering. Another collector resumes it from its last checkpoint; a backtest
            that stops three times is failed.
          </p>
        ) : null}
        {j.error ? <p className={`${styles.note} ${styles.error}`}>{j.error}</p> : null}
        {j.status === 'cancelled' ? (
          <p className={styles.note}>Cancelled: the counts below cover the events scanned until then.</p>
        ) : null}
      </section>

      {result ? (
        <div className="stat-grid">
          <div className="panel stat">
            <span className="stat-label">Events evaluated</span>
            <span className="stat-value">{count(result.tally.events)}</span>
            <span className={styles.faint}>
              {count(result.raw.events)} raw, {count(result.alerts.events)} from alerts
              {result.tally.failed > 0 ? `, ${count(result.tally.failed)} failed` : ''}
            </span>
          </div>
          <div className="panel stat">
            <span className="stat-label">
              Alerts: {baseline} → v{j.draft.number}
            </span>
            <span className="stat-value" data-testid="backtest-alerts">
              {count(result.tally.activeAlerts)} → {count(result.tally.draftAlerts)}
            </span>
            <span className={styles.faint}>
              {result.rules.active} rules in {baseline}, {result.rules.draft} in v{j.draft.number};{' '}
              {result.rules.distinctConditions} distinct conditions
            </span>
          </div>
          <div className="panel stat">
            <span className="stat-label">Events whose alerts change</span>
            <span className="stat-value">
              {count(result.tally.events - result.tally.unchanged - result.tally.failed)}
            </span>
            <span className={styles.faint}>
              {count(changed.length)} rule{changed.length === 1 ? '' : 's'} change
              {changed.length === 1 ? 's' : ''}
            </span>
          </div>
          {result.alerts.comparable > 0 ? (
            <div className="panel stat">
              <span className="stat-label">Stored alerts raised again</span>
              <span className="stat-value">
                {Math.round((result.alerts.reproduced / result.alerts.comparable) * 100)} %
              </span>
              <span className={styles.faint}>
                {count(result.alerts.reproduced)} of {count(result.alerts.comparable)}: events rebuilt from
                alert fields lack what outputs do not print
              </span>
            </div>
          ) : null}
        </div>
      ) : null}
      {result && result.skipped.events > 0 ? (
        <p className={styles.note}>
          {count(result.skipped.events)} events of {result.skipped.sources.join(', ')} were not evaluated: no
          rule of either version reads that source.
        </p>
      ) : null}

      {result ? (
        <div className={styles.layout}>
          <section className="panel" aria-label="Changes per rule">
            <div className="panel-header">
              <h2 style={{ fontSize: 13 }}>Per rule</h2>
              <span className={styles.faint}>{running ? 'so far' : 'final'}</span>
            </div>
            {changed.length > 1 ? (
              <div style={{ height: 70 + Math.min(changed.length, 12) * 30, padding: '8px 8px 0' }}>
                <ResponsiveContainer>
                  <BarChart
                    data={changed
                      .slice(0, 12)
                      .map((r) => ({ rule: r.rule, added: r.added, removed: -r.removed }))}
                    layout="vertical"
                    stackOffset="sign"
                    margin={{ top: 0, right: 16, bottom: 0, left: 0 }}
                  >
                    <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" horizontal={false} />
                    <XAxis type="number" tick={axisTick} allowDecimals={false} />
                    <YAxis type="category" dataKey="rule" width={200} tick={axisTick} interval={0} />
                    <Tooltip
                      formatter={(v) => count(Math.abs(Number(v)))}
                      contentStyle={{
                        background: 'var(--bg-raised)',
                        border: '1px solid var(--border)',
                        fontSize: 12,
                      }}
                    />
                    <Legend wrapperStyle={{ fontSize: 12 }} />
                    <Bar
                      dataKey="added"
                      name="added"
                      stackId="c"
                      fill="var(--accent)"
                      isAnimationActive={false}
                    />
                    <Bar
                      dataKey="removed"
                      name="removed"
                      stackId="c"
                      fill="var(--warning)"
                      isAnimationActive={false}
                    />
                  </BarChart>
                </ResponsiveContainer>
              </div>
            ) : null}
            <table className={`table ${styles.ruleTable}`} data-testid="backtest-rules">
              <thead>
                <tr>
                  <th>Rule</th>
                  <th className={styles.num}>Added</th>
                  <th className={styles.num}>Removed</th>
                  <th className={styles.num}>Unchanged</th>
                </tr>
              </thead>
              <tbody>
                {rules.length === 0 ? (
                  <tr>
                    <td colSpan={4} className="muted">
                      {running
                        ? 'No alert from either version yet.'
                        : 'Neither version raises an alert on these events.'}
                    </td>
                  </tr>
                ) : (
                  rules.map((r) => (
                    <tr
                      key={r.rule}
                      aria-selected={pick?.rule === r.rule}
                      onClick={() =>
                        r.added + r.removed > 0 &&
                        setSelected({ rule: r.rule, change: r.added > 0 ? 'added' : 'removed' })
                      }
                    >
                      <td style={{ whiteSpace: 'normal' }}>{r.rule}</td>
                      <td className={styles.num}>
                        <button
                          type="button"
                          className={`${styles.linkButton} ${r.added ? styles.added : styles.muted}`}
                          disabled={r.added === 0}
                          onClick={(e) => {
                            e.stopPropagation();
                            setSelected({ rule: r.rule, change: 'added' });
                          }}
                        >
                          {r.added ? `+${count(r.added)}` : '0'}
                        </button>
                      </td>
                      <td className={styles.num}>
                        <button
                          type="button"
                          className={`${styles.linkButton} ${r.removed ? styles.removed : styles.muted}`}
                          disabled={r.removed === 0}
                          onClick={(e) => {
                            e.stopPropagation();
                            setSelected({ rule: r.rule, change: 'removed' });
                          }}
                        >
                          {r.removed ? `−${count(r.removed)}` : '0'}
                        </button>
                      </td>
                      <td className={`${styles.num} ${styles.muted}`}>{count(r.unchanged)}</td>
                    </tr>
                  ))
                )}
              </tbody>
            </table>
          </section>
          <BacktestSamples
            id={id}
            pick={pick}
            running={running}
            draftNumber={j.draft.number}
            baseline={baseline}
          />
        </div>
      ) : null}
    </>
  );
}
