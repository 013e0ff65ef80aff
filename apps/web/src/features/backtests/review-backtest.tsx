'use client';

import { useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { errorText, TimeAgo } from '@/features/rules/rules-ui';
import { useTRPC } from '@/trpc/client';
import { BacktestLauncher } from './backtest-launcher';
import { count, progressPercent, statusLabel } from './backtest-format';
import styles from './backtests.module.css';

const ACTIVE = new Set(['queued', 'running']);
/** Rules the review lists; the backtest's page has them all. */
const SHOWN_RULES = 8;

/**
 * A review's backtest: the newest backtest of the candidate version against the target
 * environment (followed while it runs), with the alerts it would add and remove per rule and a
 * link to its page; when there is none, the launcher, fixed on the target environment.
 */
export function ReviewBacktest({
  version,
  environment,
  canRun,
}: {
  version: { id: string; number: number; status: 'valid' | 'draft' };
  environment: {
    id: string;
    displayName: string;
    current: { versionId: string; number: number } | null;
  };
  canRun: boolean;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const input = { versionId: version.id, environmentId: environment.id };
  const latest = useQuery({
    ...trpc.backtests.latest.queryOptions(input),
    refetchInterval: (q) => (q.state.data && ACTIVE.has(q.state.data.status) ? 1000 : false),
  });

  if (latest.isPending) return <p className={styles.form}>Loading the latest backtest…</p>;
  if (latest.error)
    return (
      <div className="alert-banner" role="alert">
        {errorText(latest.error)}
      </div>
    );
  const job = latest.data;
  if (!job)
    return (
      <div data-testid="review-backtest" data-state="none" style={{ maxWidth: 640 }}>
        <p className={styles.form} style={{ paddingBottom: 0, margin: 0 }}>
          <span className={styles.muted}>
            v{version.number} has not been backtested against {environment.displayName} yet: run it over the
            stored events to see the alerts it would add and remove there.
          </span>
        </p>
        <BacktestLauncher
          version={version}
          environments={[
            {
              environmentId: environment.id,
              environmentDisplayName: environment.displayName,
              active: environment.current,
            },
          ]}
          environmentId={environment.id}
          canRun={canRun}
          dirty={false}
          embedded
          onStarted={() =>
            void queryClient.invalidateQueries({ queryKey: trpc.backtests.latest.queryKey(input) })
          }
        />
      </div>
    );

  const running = ACTIVE.has(job.status);
  const rules = (job.result?.tally.rules ?? []).filter((r) => r.added + r.removed > 0);
  const baseline = job.baseline ? `v${job.baseline.number}` : 'nothing';
  // The environment moved on since the backtest: its figures compare with what ran then.
  const stale = (job.baseline?.versionId ?? null) !== (environment.current?.versionId ?? null);
  return (
    <div data-testid="review-backtest" data-state={job.status}>
      <div className={styles.progressLine} style={{ padding: '10px 14px' }}>
        <span
          className={styles.status}
          data-status={job.stalled ? 'stalled' : job.status}
          data-testid="review-backtest-status"
        >
          {statusLabel(job.status, job.stalled)}
        </span>
        <span>
          v{job.draft.number} against {baseline} ·{' '}
          {job.sources.length > 0 ? job.sources.join(', ') : 'every source'} ·{' '}
          {new Date(job.from).toLocaleDateString()} to {new Date(job.to).toLocaleDateString()}
        </span>
        <span className={styles.faint}>
          asked <TimeAgo iso={job.createdAt} /> by {job.createdBy?.name ?? 'someone'}
        </span>
        <span className={styles.grow} />
        <Link href={`/rules/backtests/${job.id}`} data-testid="review-backtest-link">
          Open the backtest
        </Link>
      </div>
      {running ? (
        <p className={styles.note} style={{ margin: '0 14px 10px' }}>
          {job.status === 'queued'
            ? 'Waiting for a collector to pick it up.'
            : `${count(job.eventsScanned)} of ${count(job.eventsTotal)} stored events (${progressPercent(
                job.eventsScanned,
                job.eventsTotal,
                job.status,
              )} %); the counts below are so far.`}
        </p>
      ) : null}
      {stale ? (
        <p className={styles.note} style={{ margin: '0 14px 10px' }}>
          {environment.displayName} runs {environment.current ? `v${environment.current.number}` : 'nothing'}{' '}
          now, not {baseline} as when this backtest ran: run a new one from the editor to compare with what
          runs now.
        </p>
      ) : null}
      {job.error ? (
        <p className={`${styles.note} ${styles.error}`} style={{ margin: '0 14px 10px' }}>
          {job.error}
        </p>
      ) : null}
      {job.result ? (
        <table className={`table ${styles.ruleTable}`} data-testid="review-backtest-rules">
          <caption className="visually-hidden">Alerts the version would add and remove per rule</caption>
          <thead>
            <tr>
              <th scope="col">Rule</th>
              <th scope="col" className={styles.num}>
                Alerts added
              </th>
              <th scope="col" className={styles.num}>
                Alerts removed
              </th>
              <th scope="col" className={styles.num}>
                Unchanged
              </th>
            </tr>
          </thead>
          <tbody>
            {rules.length === 0 ? (
              <tr>
                <td colSpan={4} className="muted">
                  {running
                    ? 'No rule raises different alerts so far.'
                    : `No rule raises different alerts over ${count(job.result.tally.events)} events: ${count(
                        job.result.tally.activeAlerts,
                      )} alerts either way.`}
                </td>
              </tr>
            ) : (
              rules.slice(0, SHOWN_RULES).map((r) => (
                <tr key={r.rule}>
                  <td>{r.rule}</td>
                  <td className={styles.num} style={r.added > 0 ? { color: 'var(--accent)' } : undefined}>
                    {r.added > 0 ? `+${count(r.added)}` : '0'}
                  </td>
                  <td className={styles.num} style={r.removed > 0 ? { color: 'var(--warning)' } : undefined}>
                    {r.removed > 0 ? `−${count(r.removed)}` : '0'}
                  </td>
                  <td className={`${styles.num} ${styles.muted}`}>{count(r.unchanged)}</td>
                </tr>
              ))
            )}
          </tbody>
          {job.result.tally.events > 0 ? (
            <tfoot>
              <tr>
                <td className={styles.muted}>
                  {count(job.result.tally.events)} event{job.result.tally.events === 1 ? '' : 's'} evaluated
                  {rules.length > SHOWN_RULES
                    ? ` · ${rules.length - SHOWN_RULES} more rules on the backtest's page`
                    : ''}
                </td>
                <td colSpan={3} className={`${styles.num} ${styles.muted}`}>
                  alerts: {count(job.result.tally.activeAlerts)} with {baseline},{' '}
                  {count(job.result.tally.draftAlerts)} with v{job.draft.number}
                </td>
              </tr>
            </tfoot>
          ) : null}
        </table>
      ) : null}
    </div>
  );
}
