'use client';

import Link from 'next/link';
import { PriorityLabel, Time } from '../alerts/priority';
import styles from './entities.module.css';
import { KIND_LABELS } from './entity-chip';

/** One alert or raw event as the entity procedures return it. */
export interface ActivityItem {
  ref: 'alert' | 'raw';
  id: string;
  source: string;
  eventTime: string;
  entityIds: string[];
  alert: {
    rule: string;
    priority: Parameters<typeof PriorityLabel>[0]['priority'];
    output: string;
    hostname: string | null;
  } | null;
  summary: { action?: string; actor?: string; sourceIp?: string; userAgent?: string; target?: string } | null;
}

/**
 * Alerts and raw events, newest first: an alert by rule and output (linked), a raw event by its
 * summary (who did what to what, from where, with what). `entities` names the shared ones.
 */
export function ActivityList({
  items,
  entities,
  onOpenAlert,
}: {
  items: ActivityItem[];
  entities?: { id: string; kind: string; value: string; label: string | null }[];
  onOpenAlert?: (id: string) => void;
}) {
  const byId = new Map((entities ?? []).map((e) => [e.id, e]));
  return (
    <ul className={styles.activity} data-testid="activity-list">
      {items.map((item) => (
        <li key={`${item.ref}:${item.id}`} data-testid="activity-item" data-ref={item.ref}>
          <span>
            <Time iso={item.eventTime} />
          </span>
          <span className={styles.source}>{item.source}</span>
          <div className={styles.what}>
            {item.alert ? (
              <>
                <PriorityLabel priority={item.alert.priority} />{' '}
                {onOpenAlert ? (
                  <button
                    type="button"
                    className="linkish"
                    style={{
                      background: 'none',
                      border: 0,
                      padding: 0,
                      color: 'var(--accent)',
                      cursor: 'pointer',
                    }}
                    onClick={() => onOpenAlert(item.id)}
                  >
                    {item.alert.rule}
                  </button>
                ) : (
                  <Link href={`/alerts/${item.id}`}>{item.alert.rule}</Link>
                )}
                <div className={styles.facts}>{item.alert.output}</div>
              </>
            ) : (
              <>
                <strong data-testid="activity-action">
                  {item.summary?.action ?? `${item.source} event`}
                </strong>
                {item.summary?.target ? <> on {item.summary.target}</> : null}
                <div className={styles.facts}>
                  {item.summary?.actor ? (
                    <span>
                      by <b data-testid="activity-actor">{item.summary.actor}</b>
                    </span>
                  ) : null}
                  {item.summary?.sourceIp ? (
                    <span>
                      from <b data-testid="activity-ip">{item.summary.sourceIp}</b>
                    </span>
                  ) : null}
                  {item.summary?.userAgent ? (
                    <span>
                      with <b data-testid="activity-agent">{item.summary.userAgent}</b>
                    </span>
                  ) : null}
                </div>
              </>
            )}
            {entities && item.entityIds.length ? (
              <div className={styles.shared}>
                shares{' '}
                {item.entityIds
                  .map((id) => byId.get(id))
                  .filter((e) => e !== undefined)
                  .map((e) => `${(KIND_LABELS[e.kind] ?? e.kind).toLowerCase()} ${e.label ?? e.value}`)
                  .join(', ')}
              </div>
            ) : null}
          </div>
        </li>
      ))}
    </ul>
  );
}
