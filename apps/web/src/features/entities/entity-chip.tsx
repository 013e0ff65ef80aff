'use client';

import Link from 'next/link';
import styles from './entities.module.css';

/** How an entity kind reads. */
export const KIND_LABELS: Record<string, string> = {
  host: 'Host',
  container: 'Container',
  image: 'Image',
  pod: 'Pod',
  namespace: 'Namespace',
  cluster: 'Cluster',
  process: 'Process',
  user: 'User',
  principal: 'Person',
  ip: 'IP',
  repository: 'Repository',
};

/** The entity page's address: everything about it in the last `hours`. */
export function entityHref(e: { environmentId: string; kind: string; value: string }, hours = 24): string {
  const q = new URLSearchParams({ env: e.environmentId, kind: e.kind, value: e.value, hours: String(hours) });
  return `/entities?${q.toString()}`;
}

/** One entity as a chip linking to its page. Values come from events: rendered as text only. */
export function EntityChip({
  entity,
}: {
  entity: { environmentId: string; kind: string; value: string; label: string | null };
}) {
  const shown = entity.label ?? entity.value;
  return (
    <Link
      className={styles.chip}
      href={entityHref(entity)}
      title={`Everything about ${KIND_LABELS[entity.kind] ?? entity.kind} ${entity.value} in the last 24 hours`}
      data-testid="entity-chip"
      data-kind={entity.kind}
    >
      <span className={styles.chipKind}>{KIND_LABELS[entity.kind] ?? entity.kind}</span>
      <span className={styles.chipValue}>{shown}</span>
    </Link>
  );
}
