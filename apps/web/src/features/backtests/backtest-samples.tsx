'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { PriorityTag } from '@/features/rules/rules-ui';
import { useTRPC } from '@/trpc/client';
import { alertIdOf } from './backtest-format';
import styles from './backtests.module.css';

interface SampleAlert {
  rule: string;
  priority: string;
  message: string;
}

function AlertLines({ side, alerts }: { side: string; alerts: readonly SampleAlert[] }) {
  return (
    <div className={styles.alertLine}>
      <span className={styles.alertSide}>{side}</span>
      <span className={styles.alertText}>
        {alerts.length === 0 ? (
          <span className={styles.faint}>no alert</span>
        ) : (
          alerts.map((a) => (
            <span key={a.rule} style={{ display: 'block' }}>
              <PriorityTag priority={a.priority} /> <strong>{a.rule}</strong>: {a.message}
            </span>
          ))
        )}
      </span>
    </div>
  );
}

/**
 * The sample events of one rule and change: each opens its event as evaluated (JSON) and the
 * alerts both versions raise on it; an event rebuilt from a stored alert links to that alert.
 */
export function BacktestSamples({
  id,
  pick,
  running,
  draftNumber,
  baseline,
}: {
  id: string;
  pick: { rule: string; change: 'added' | 'removed' } | null;
  running: boolean;
  draftNumber: number;
  baseline: string;
}) {
  const trpc = useTRPC();
  const samples = useQuery({
    ...trpc.backtests.listSamples.queryOptions({
      id,
      rule: pick?.rule ?? '',
      change: pick?.change ?? 'added',
    }),
    enabled: pick !== null,
    refetchInterval: running ? 2000 : false,
  });
  return (
    <section className="panel" aria-label="Samples">
      <div className="panel-header">
        <h2 style={{ fontSize: 13 }}>
          {pick ? (
            <>
              Samples:{' '}
              <span className={pick.change === 'added' ? styles.added : styles.removed}>{pick.change}</span>{' '}
              {pick.rule}
            </>
          ) : (
            'Samples'
          )}
        </h2>
        <span className={styles.faint}>up to 5 per rule and change</span>
      </div>
      <div className={styles.samples} data-testid="backtest-samples">
        {!pick ? (
          <span className={styles.faint}>Nothing changes: no sample to show.</span>
        ) : samples.isPending ? (
          <span className={styles.faint}>Loading samples…</span>
        ) : (samples.data ?? []).length === 0 ? (
          <span className={styles.faint}>No sample yet.</span>
        ) : (
          samples.data?.map((s) => {
            const alertId = alertIdOf(s.ref);
            return (
              <article key={s.id} className={styles.sample} data-testid="backtest-sample">
                <div className={styles.sampleHead}>
                  <span className={styles.mono}>{s.ref}</span>
                  <span className={styles.faint}>{s.source}</span>
                  <span className={styles.faint}>{new Date(s.eventTime).toLocaleString()}</span>
                  {alertId ? (
                    <Link href={`/alerts/${alertId}`} className={styles.faint}>
                      stored alert {alertId}
                    </Link>
                  ) : null}
                </div>
                <AlertLines side={`v${draftNumber}`} alerts={s.draftAlerts} />
                <AlertLines side={baseline} alerts={s.activeAlerts} />
                <details className={styles.details}>
                  <summary>Event</summary>
                  <pre className={styles.json}>{JSON.stringify(s.event, null, 2)}</pre>
                </details>
                <details className={styles.details}>
                  <summary>Alerts (JSON)</summary>
                  <pre className={styles.json}>
                    {JSON.stringify({ draft: s.draftAlerts, active: s.activeAlerts }, null, 2)}
                  </pre>
                </details>
              </article>
            );
          })
        )}
      </div>
    </section>
  );
}
