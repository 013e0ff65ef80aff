'use client';

import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '@/trpc/client';
import styles from '../alerts/alerts.module.css';
import { alertsErrorText } from '../alerts/error-text';
import { ActivityList } from './activity-list';
import own from './entities.module.css';
import { EntityChip } from './entity-chip';
import { ProcessTree } from './process-tree';

const WINDOWS = [5, 30, 120, 720];

/**
 * What an alert names (entity chips, each linking to everything about it), what else happened
 * to those entities around its time across sources, and its process tree as a picture.
 */
export function AlertContext({ alertId, onOpen }: { alertId: string; onOpen?: (id: string) => void }) {
  const trpc = useTRPC();
  const [windowMinutes, setWindowMinutes] = useState(30);
  const ctx = useQuery(trpc.entities.alertContext.queryOptions({ id: alertId, windowMinutes }));
  if (ctx.isPending) {
    return (
      <section className={styles.detailSection}>
        <h3>Entities</h3>
        <p className={styles.muted}>Loading…</p>
      </section>
    );
  }
  if (ctx.isError) {
    return (
      <section className={styles.detailSection}>
        <h3>Entities</h3>
        <p className={styles.error}>{alertsErrorText(ctx.error)}</p>
      </section>
    );
  }
  const { entities, related, truncated, processTree } = ctx.data;
  return (
    <>
      <section className={styles.detailSection} data-testid="alert-entities">
        <h3>Entities ({entities.length})</h3>
        {entities.length ? (
          <div className={own.chips}>
            {entities.map((e) => (
              <EntityChip key={e.id} entity={e} />
            ))}
          </div>
        ) : (
          <p className={styles.muted}>This alert names no host, container, pod, user, IP or repository.</p>
        )}
      </section>
      <section className={styles.detailSection} data-testid="alert-related-activity">
        <h3>Related activity</h3>
        <div className={own.toolbar}>
          <span className={styles.muted}>Sharing its entities, across sources, within</span>
          <select
            className="select"
            aria-label="Window"
            value={windowMinutes}
            onChange={(e) => setWindowMinutes(Number(e.target.value))}
          >
            {WINDOWS.map((m) => (
              <option key={m} value={m}>
                ±{m < 60 ? `${m} min` : `${m / 60} h`}
              </option>
            ))}
          </select>
        </div>
        {related.length ? (
          <ActivityList items={related} entities={entities} onOpenAlert={onOpen} />
        ) : (
          <p className={styles.muted}>Nothing else named its entities in that window.</p>
        )}
        {truncated ? (
          <p className={styles.muted}>Showing the newest {related.length}; open an entity for more.</p>
        ) : null}
      </section>
      {processTree.length ? (
        <section className={styles.detailSection} data-testid="alert-process-tree">
          <h3>Process tree</h3>
          <ProcessTree nodes={processTree} />
        </section>
      ) : null}
    </>
  );
}
