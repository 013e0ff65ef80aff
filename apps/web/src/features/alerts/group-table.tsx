'use client';

import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { type AlertStatus, STATUSES } from '@/server/routers/alerts/alert-filter.schema';
import { useTRPC } from '@/trpc/client';
import styles from './alerts.module.css';
import { alertsErrorText } from './error-text';
import { ExceptionDialog } from './exception-dialog';
import type { Member } from './filter-bar';
import type { UrlFilter } from './filter-url';
import { outputMessage } from '@peregrine/engine/display';
import { PriorityLabel, STATUS_LABELS, Time } from './priority';
import { describeChange, summarizeTriage, type TriageChange } from './triage-change';

/** "2 acknowledged · 1 resolved": every status the group's alerts are in, counts capped at 100. */
function statusSummary(counts: Partial<Record<AlertStatus, number>>): string {
  const parts = STATUSES.filter((s) => (counts[s] ?? 0) > 0).map((s) => {
    const n = counts[s] ?? 0;
    return `${n >= 100 ? '100+' : n} ${STATUS_LABELS[s].toLowerCase()}`;
  });
  return parts.length ? parts.join(' · ') : 'No alerts';
}

interface PendingTriage {
  group: { id: string; rule: string; environment: string };
  change: TriageChange;
}

/**
 * Repeated alerts (same rule and key fields), newest activity first: how many times, first and
 * last seen. Opening a group filters the alert list to it. Triagers set a status or an assignee
 * on a whole group: every alert of the group matching the current filter, counted and confirmed
 * first, then changed server-side by the same bulk-by-filter path as the list (audit-logged).
 * Authors propose an exception from a group (its newest alert's output fields).
 */
export function GroupTable({
  filter,
  environmentNames,
  onOpenGroup,
  canTriage,
  canAuthor = false,
  members,
  onTriaged,
}: {
  filter: UrlFilter;
  environmentNames: Record<string, string>;
  onOpenGroup: (groupId: string) => void;
  canTriage: boolean;
  canAuthor?: boolean;
  members: Member[];
  /** Called once a group's alerts changed, so lists and counts refetch. */
  onTriaged: () => void;
}) {
  const showEnvironment = !filter.environment;
  const trpc = useTRPC();
  const groups = useInfiniteQuery(
    trpc.alerts.listGroups.infiniteQueryOptions(
      { filter, limit: 100 },
      { getNextPageParam: (page) => page.nextCursor ?? undefined },
    ),
  );
  const rows = groups.data?.pages.flatMap((p) => p.rows) ?? [];

  const [pending, setPending] = useState<PendingTriage | null>(null);
  const [result, setResult] = useState<string | null>(null);
  const groupFilter = { ...filter, group: pending?.group.id ?? null };
  // Counted when the triager picks a change: the confirmation shows how many alerts it touches,
  // and the newest id counted bounds the change (alerts arriving meanwhile are left alone).
  const count = useQuery({
    ...trpc.alerts.count.queryOptions({ filter: groupFilter }),
    enabled: pending !== null,
    staleTime: 0,
    gcTime: 0,
  });
  const triage = useMutation(trpc.alerts.triage.mutationOptions());
  const queryClient = useQueryClient();
  const [exceptionFrom, setExceptionFrom] = useState<string | null>(null);
  const [tuneError, setTuneError] = useState<string | null>(null);
  // The group's newest alert (of the current filter) carries the output fields the group shares.
  const proposeException = async (groupId: string) => {
    setTuneError(null);
    try {
      const page = await queryClient.fetchQuery(
        trpc.alerts.list.queryOptions({ filter: { ...filter, group: groupId }, limit: 1 }),
      );
      const newest = page.rows[0];
      if (newest) setExceptionFrom(newest.id);
      else setTuneError('No alert of this group matches the current filter.');
    } catch (error) {
      setTuneError(alertsErrorText(error));
    }
  };

  const choose = (g: (typeof rows)[number], change: TriageChange) => {
    triage.reset();
    setResult(null);
    setPending({
      group: { id: g.id, rule: g.rule, environment: environmentNames[g.environmentId] ?? '' },
      change,
    });
  };

  const apply = () => {
    if (!pending || !count.data?.maxId) return;
    triage.mutate(
      { target: { filter: groupFilter, maxId: count.data.maxId }, ...pending.change },
      {
        onSuccess: (r) => {
          setPending(null);
          setResult(`${pending.group.rule}: ${summarizeTriage(r)}`);
          onTriaged();
        },
      },
    );
  };

  return (
    <>
      {exceptionFrom ? (
        <ExceptionDialog alertId={exceptionFrom} onClose={() => setExceptionFrom(null)} onSaved={onTriaged} />
      ) : null}
      {tuneError ? (
        <div className={styles.bulk} role="status">
          <span className={styles.error}>{tuneError}</span>
          <button type="button" className={styles.linkish} onClick={() => setTuneError(null)}>
            Dismiss
          </button>
        </div>
      ) : null}
      {pending ? (
        <div className={styles.confirm} data-testid="group-confirm">
          {count.isPending ? (
            <span>Counting the group&apos;s alerts…</span>
          ) : count.isError ? (
            <span className={styles.error}>{alertsErrorText(count.error)}</span>
          ) : count.data.count === 0 ? (
            <span>No alert of this group matches the current filter.</span>
          ) : (
            <>
              <span data-testid="group-confirm-text">
                {describeChange(pending.change, members).replace(/^./, (c) => c.toUpperCase())}{' '}
                <strong data-testid="group-confirm-count">{count.data.count.toLocaleString()}</strong> alert
                {count.data.count === 1 ? '' : 's'} of <strong>{pending.group.rule}</strong>
                {pending.group.environment ? ` (${pending.group.environment})` : ''} matching this filter?
                This is audit-logged.
              </span>
              <button
                type="button"
                className="button button-primary"
                disabled={triage.isPending}
                onClick={apply}
                data-testid="group-confirm-yes"
              >
                {triage.isPending ? 'Working…' : `Apply to ${count.data.count.toLocaleString()}`}
              </button>
            </>
          )}
          <button type="button" className="button" onClick={() => setPending(null)}>
            Cancel
          </button>
          {triage.error ? <span className={styles.error}>{alertsErrorText(triage.error)}</span> : null}
        </div>
      ) : null}
      {result ? (
        <div className={styles.bulk} role="status" data-testid="group-result">
          {result}
          <button type="button" className={styles.linkish} onClick={() => setResult(null)}>
            Dismiss
          </button>
        </div>
      ) : null}
      <div className={styles.scroller} data-testid="group-table">
        <table className={`${styles.table} ${canTriage ? styles.groupTable : ''}`}>
          <colgroup>
            <col style={{ width: '90px' }} />
            <col style={{ width: '150px' }} />
            <col />
            <col style={{ width: '56px' }} />
            <col style={{ width: '112px' }} />
            <col style={{ width: '112px' }} />
            {showEnvironment ? <col style={{ width: '88px' }} /> : null}
            <col style={{ width: '180px' }} />
            <col style={{ width: '110px' }} />
            {canTriage ? <col style={{ width: '110px' }} /> : null}
          </colgroup>
          <thead>
            <tr>
              <th>Priority</th>
              <th>Rule</th>
              <th>Last output</th>
              <th style={{ textAlign: 'right' }}>Count</th>
              <th>First seen</th>
              <th>Last seen</th>
              {showEnvironment ? <th>Env</th> : null}
              <th title="The group's alerts by status">Status</th>
              <th title="Who the group's alerts are assigned to">Assignee</th>
              {canTriage ? (
                <th title="Change the group's alerts matching the current filter">Triage</th>
              ) : null}
            </tr>
          </thead>
          <tbody>
            {rows.map((g) => (
              <tr
                key={g.id}
                className={`${styles.row} ${pending?.group.id === g.id ? styles.rowOpen : ''}`}
                data-testid="group-row"
                data-group-id={g.id}
                onClick={() => onOpenGroup(g.id)}
              >
                <td>
                  <PriorityLabel priority={g.priority} />
                </td>
                <td title={g.rule}>{g.rule}</td>
                <td className={styles.mono} title={g.lastOutput}>
                  {outputMessage(g.lastOutput)}
                </td>
                <td style={{ textAlign: 'right', fontVariantNumeric: 'tabular-nums' }}>
                  {g.count.toLocaleString()}
                </td>
                <td>
                  <Time iso={g.firstSeenAt} />
                </td>
                <td>
                  <Time iso={g.lastSeenAt} />
                </td>
                {showEnvironment ? (
                  <td className={styles.muted}>{environmentNames[g.environmentId] ?? ''}</td>
                ) : null}
                <td data-testid="group-status" title={statusSummary(g.statusCounts)}>
                  {statusSummary(g.statusCounts)}
                </td>
                <td
                  data-testid="group-assignee"
                  className={g.assignment.kind === 'one' ? undefined : styles.muted}
                  title={
                    g.assignment.kind === 'mixed'
                      ? 'Assigned to several people, or only some of the alerts are assigned'
                      : undefined
                  }
                >
                  {g.assignment.kind === 'none'
                    ? 'Unassigned'
                    : g.assignment.kind === 'mixed'
                      ? 'Mixed'
                      : (g.assignment.assigneeName ?? 'a former member')}
                </td>
                {canTriage ? (
                  // Actions, apart from the state cells: each choice is confirmed with a count first.
                  // A click on them must not open the group.
                  // biome-ignore lint/a11y/useKeyWithClickEvents: only stops the row's click from bubbling
                  <td className={styles.groupTriage} onClick={(e) => e.stopPropagation()}>
                    <select
                      className="select"
                      aria-label={`Triage the ${g.rule} group's alerts`}
                      data-testid="group-triage-action"
                      value=""
                      disabled={triage.isPending}
                      onChange={(e) => {
                        // `status:resolved` or `assign:<user id>` (ids may hold colons themselves).
                        const choice = e.target.value;
                        const kind = choice.slice(0, choice.indexOf(':'));
                        const value = choice.slice(choice.indexOf(':') + 1);
                        const status = STATUSES.find((s) => s === value);
                        if (kind === 'tune') void proposeException(g.id);
                        else if (kind === 'status' && status) choose(g, { status });
                        else if (kind === 'assign' && value)
                          choose(g, { assigneeId: value === 'none' ? null : value });
                      }}
                    >
                      <option value="" disabled>
                        Triage…
                      </option>
                      <optgroup label="Set status">
                        {STATUSES.map((s) => (
                          <option key={s} value={`status:${s}`}>
                            {s === 'open' ? 'Reopen' : STATUS_LABELS[s]}
                          </option>
                        ))}
                      </optgroup>
                      <optgroup label="Assign">
                        <option value="assign:none">Unassign</option>
                        {members.map((m) => (
                          <option key={m.userId} value={`assign:${m.userId}`}>
                            {m.name}
                          </option>
                        ))}
                      </optgroup>
                      {canAuthor ? (
                        <optgroup label="Tune">
                          <option value="tune:exception">Propose exception…</option>
                        </optgroup>
                      ) : null}
                    </select>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
        <div className={styles.footer}>
          {groups.isPending ? (
            'Loading groups…'
          ) : groups.isError ? (
            <span className={styles.error} data-testid="alerts-error">
              {alertsErrorText(groups.error)}
            </span>
          ) : rows.length === 0 ? (
            <div className={styles.empty}>No repeated alerts match these filters.</div>
          ) : groups.hasNextPage ? (
            <button type="button" className="button" onClick={() => void groups.fetchNextPage()}>
              Load more
            </button>
          ) : (
            `${rows.length.toLocaleString()} group${rows.length === 1 ? '' : 's'}`
          )}
        </div>
      </div>
    </>
  );
}
