'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useTRPC } from '@/trpc/client';
import { ScoreBadge } from './incident-ui';
import styles from './incidents.module.css';

/**
 * The incident(s) an alert belongs to, with status and score, linked to their pages: shown on the
 * alert's detail (nothing while the correlator has not placed it yet).
 */
export function AlertIncidents({ alertId }: { alertId: string }) {
  const trpc = useTRPC();
  const incidents = useQuery(trpc.incidents.ofAlert.queryOptions({ alertId }));
  if (!incidents.data?.length) return null;
  return (
    <div className={styles.alertIncidents} data-testid="alert-incidents">
      <span className={styles.muted}>{incidents.data.length > 1 ? 'Incidents' : 'Incident'}</span>
      {incidents.data.map((i) => (
        <span key={i.id} className={styles.alertIncident} data-testid="alert-incident">
          <ScoreBadge score={i.score} />
          <span className={styles.chip} data-testid="alert-incident-status">
            {i.status}
          </span>
          <Link className={styles.title} href={`/incidents/${i.id}`} data-testid="alert-incident-link">
            {i.title}
          </Link>
          <span className={styles.muted}>
            {i.alertCount} alert{i.alertCount === 1 ? '' : 's'}
          </span>
        </span>
      ))}
    </div>
  );
}
