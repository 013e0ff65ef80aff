'use client';

import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { STATUSES } from '@/server/routers/alerts/alert-filter.schema';
import { useTRPC } from '@/trpc/client';
import styles from './alerts.module.css';
import { alertsErrorText } from './error-text';
import type { Member } from './filter-bar';
import type { UrlFilter } from './filter-url';
import { STATUS_LABELS } from './priority';
import { describeChange, summarizeTriage, type TriageChange as Change } from './triage-change';

/**
 * Bulk triage: on the selected rows, or on every alert matching the filter. The latter first
 * counts the match and asks for confirmation; the server then works through it in batches, up to
 * the newest id counted, so alerts arriving meanwhile are not swept up unseen.
 */
export function BulkBar({
  filter,
  selectedIds,
  loadedCount,
  allMatching,
  onAllMatching,
  members,
  onDone,
}: {
  filter: UrlFilter;
  selectedIds: string[];
  loadedCount: number;
  allMatching: boolean;
  onAllMatching: (value: boolean) => void;
  members: Member[];
  /** Called with a summary once the change is applied. */
  onDone: (summary: string) => void;
}) {
  const trpc = useTRPC();
  const count = useQuery({
    ...trpc.alerts.count.queryOptions({ filter }),
    enabled: allMatching,
    staleTime: 0,
  });
  const triage = useMutation(trpc.alerts.triage.mutationOptions());
  const [confirming, setConfirming] = useState<Change | null>(null);

  const run = (change: Change) => {
    if (allMatching) {
      setConfirming(change);
      return;
    }
    triage.mutate(
      { target: { ids: selectedIds }, ...change },
      {
        onSuccess: (r) => onDone(summarizeTriage(r)),
      },
    );
  };

  const confirm = () => {
    if (!confirming || !count.data?.maxId) return;
    triage.mutate(
      { target: { filter, maxId: count.data.maxId }, ...confirming },
      {
        onSuccess: (r) => {
          setConfirming(null);
          onDone(summarizeTriage(r));
        },
      },
    );
  };

  const target = allMatching
    ? count.data
      ? `All ${count.data.count.toLocaleString()} matching alerts`
      : 'Counting matching alerts…'
    : `${selectedIds.length} selected`;

  return (
    <>
      <div className={styles.bulk} data-testid="bulk-bar">
        <strong data-testid="bulk-target">{target}</strong>
        {!allMatching && selectedIds.length >= loadedCount && loadedCount > 0 ? (
          <button
            type="button"
            className={styles.linkish}
            data-testid="bulk-all-matching"
            onClick={() => onAllMatching(true)}
          >
            Select every alert matching the filter
          </button>
        ) : null}
        {allMatching ? (
          <button type="button" className={styles.linkish} onClick={() => onAllMatching(false)}>
            Only the selected
          </button>
        ) : null}
        <span style={{ flex: 1 }} />
        {STATUSES.map((s) => (
          <button
            key={s}
            type="button"
            className="button"
            data-testid={`bulk-${s}`}
            disabled={triage.isPending || (allMatching && !count.data)}
            onClick={() => run({ status: s })}
          >
            {s === 'open' ? 'Reopen' : STATUS_LABELS[s]}
          </button>
        ))}
        <select
          className="select"
          aria-label="Assign selected"
          value=""
          disabled={triage.isPending || (allMatching && !count.data)}
          onChange={(e) =>
            e.target.value && run({ assigneeId: e.target.value === 'none' ? null : e.target.value })
          }
        >
          <option value="">Assign…</option>
          <option value="none">Unassign</option>
          {members.map((m) => (
            <option key={m.userId} value={m.userId}>
              {m.name}
            </option>
          ))}
        </select>
      </div>
      {confirming && count.data ? (
        <div className={styles.confirm} data-testid="bulk-confirm">
          <span>
            {describeChange(confirming, members).replace(/^./, (c) => c.toUpperCase())} all{' '}
            <strong>{count.data.count.toLocaleString()}</strong> alerts matching this filter? This is
            audit-logged.
          </span>
          <button
            type="button"
            className="button button-primary"
            disabled={triage.isPending}
            onClick={confirm}
            data-testid="bulk-confirm-yes"
          >
            {triage.isPending ? 'Working…' : `Apply to ${count.data.count.toLocaleString()}`}
          </button>
          <button type="button" className="button" onClick={() => setConfirming(null)}>
            Cancel
          </button>
        </div>
      ) : null}
      {triage.error ? (
        <div className={`${styles.confirm} ${styles.error}`}>{alertsErrorText(triage.error)}</div>
      ) : null}
    </>
  );
}
