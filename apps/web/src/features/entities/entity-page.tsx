'use client';

import { useQuery } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useTRPC } from '@/trpc/client';
import styles from '../alerts/alerts.module.css';
import { alertsErrorText } from '../alerts/error-text';
import { Time } from '../alerts/priority';
import { ActivityList } from './activity-list';
import own from './entities.module.css';
import { entityHref, KIND_LABELS } from './entity-chip';

const HOURS = [1, 24, 24 * 7, 24 * 30];
const KINDS = Object.keys(KIND_LABELS) as (keyof typeof KIND_LABELS)[];

/** Everything that named one entity in the last `hours`: alerts and raw events, newest first. */
export function EntityPage({
  environmentId,
  kind,
  value,
  hours,
}: {
  environmentId: string;
  kind: string;
  value: string;
  hours: number;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const known = (KINDS as string[]).includes(kind);
  const q = useQuery({
    ...trpc.entities.activity.queryOptions({
      environmentId,
      kind: (known ? kind : 'host') as 'host',
      value,
      hours,
    }),
    enabled: known,
  });
  if (!known) return <p className={styles.error}>Unknown kind of entity: {kind}</p>;
  return (
    <div className={own.page} data-testid="entity-page">
      <div className="panel panel-body">
        <div className={own.toolbar}>
          <strong>{KIND_LABELS[kind] ?? kind}</strong>
          <span className={styles.mono}>{value}</span>
          {q.data ? <span className={styles.muted}>in {q.data.environmentName}</span> : null}
          <span style={{ flex: 1 }} />
          <select
            className="select"
            aria-label="Window"
            value={hours}
            onChange={(e) => router.push(entityHref({ environmentId, kind, value }, Number(e.target.value)))}
          >
            {HOURS.map((h) => (
              <option key={h} value={h}>
                Last {h < 24 ? `${h} hour` : h === 24 ? '24 hours' : `${h / 24} days`}
              </option>
            ))}
          </select>
        </div>
        {q.isPending ? <p className={styles.muted}>Loading…</p> : null}
        {q.isError ? <p className={styles.error}>{alertsErrorText(q.error)}</p> : null}
        {q.data ? (
          <>
            <p className={styles.muted} style={{ marginBottom: 8 }}>
              {q.data.items.length}
              {q.data.truncated ? '+' : ''} alerts and events from <Time iso={q.data.from} /> to{' '}
              <Time iso={q.data.to} />
              {q.data.entity ? null : ' (nothing has named it)'}
            </p>
            {q.data.items.length ? <ActivityList items={q.data.items} /> : null}
          </>
        ) : null}
      </div>
    </div>
  );
}
