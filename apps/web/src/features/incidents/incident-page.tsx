'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { PriorityLabel, Time } from '@/features/alerts/priority';
import { LoadError, LoadingState } from '@/features/shell/load-state';
import { useTRPC } from '@/trpc/client';
import { EntityChips, ScoreBadge, SourceChips, TacticChips } from './incident-ui';
import { IncidentTimeline } from './incident-timeline';
import styles from './incidents.module.css';

/** One incident: facts, timeline across sources, entities, triage, notes, merge and split. */
export function IncidentPage({ id, canTriage }: { id: string; canTriage: boolean }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const detail = useQuery(trpc.incidents.get.queryOptions({ id }));
  const members = useQuery(trpc.organization.listMembers.queryOptions());
  const others = useQuery(trpc.incidents.list.queryOptions({ status: ['open', 'acknowledged'], limit: 100 }));
  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: trpc.incidents.get.queryKey({ id }) });
    await queryClient.invalidateQueries({ queryKey: trpc.incidents.list.queryKey() });
  };
  const update = useMutation(trpc.incidents.update.mutationOptions({ onSuccess: refresh }));
  const note = useMutation(trpc.incidents.addNote.mutationOptions({ onSuccess: refresh }));
  const merge = useMutation(trpc.incidents.merge.mutationOptions({ onSuccess: refresh }));
  const split = useMutation(
    trpc.incidents.split.mutationOptions({
      onSuccess: async (r) => {
        await refresh();
        router.push(`/incidents/${r.id}`);
      },
    }),
  );
  const [noteText, setNoteText] = useState('');
  const [resolution, setResolution] = useState<string | null>(null);
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [mergeFrom, setMergeFrom] = useState('');

  if (!detail.data) {
    return (
      <div className="panel panel-body">
        {detail.isError ? (
          <LoadError
            what="This incident"
            error={detail.error}
            onRetry={() => void detail.refetch()}
            retrying={detail.isFetching}
            testId="incident-error"
          />
        ) : (
          <LoadingState label="Loading incident…" testId="incident-loading" />
        )}
      </div>
    );
  }
  const i = detail.data;
  const entityById = new Map(i.entities.map((e) => [e.id, e]));
  const error = update.error ?? note.error ?? merge.error ?? split.error;
  const mergeable = (others.data?.items ?? []).filter(
    (o) => o.id !== i.id && o.environmentId === i.environmentId,
  );

  return (
    <div className={styles.grid}>
      <div className="panel" data-testid="incident-detail">
        {detail.isError ? (
          // A refresh failed (after a change or on focus): the page keeps what it last showed.
          <div className={styles.section}>
            <LoadError
              what="The latest state of this incident"
              error={detail.error}
              onRetry={() => void detail.refetch()}
              retrying={detail.isFetching}
            />
          </div>
        ) : null}
        <div className={styles.section}>
          <div className={styles.facts}>
            <ScoreBadge score={i.score} />
            <PriorityLabel priority={i.priority} />
            <span data-testid="incident-status">{i.status}</span>
            <span className={styles.muted}>{i.environmentName}</span>
            <span className={styles.muted}>
              {i.alertCount} alerts · <Time iso={i.firstSeenAt} /> → <Time iso={i.lastSeenAt} />
            </span>
          </div>
          {i.mergedIntoId ? (
            <p>
              Merged into <Link href={`/incidents/${i.mergedIntoId}`}>another incident</Link>.
            </p>
          ) : null}
        </div>
        <div className={styles.section}>
          <h3>ATT&amp;CK tactics</h3>
          <TacticChips tactics={i.tactics} />
        </div>
        <div className={styles.section}>
          <h3>Sources</h3>
          <SourceChips sources={i.sources} />
        </div>
        <div className={styles.section}>
          <h3>Timeline</h3>
          <IncidentTimeline items={i.timeline} />
          <ul className={styles.items} data-testid="incident-items">
            {i.timeline.map((t) => (
              <li
                key={`${t.ref}${t.id}`}
                className={styles.item}
                data-ref={t.ref}
                data-testid="incident-item"
                data-source={t.source}
              >
                <span>
                  {t.ref === 'alert' && canTriage ? (
                    <input
                      type="checkbox"
                      aria-label={`Select alert ${t.id}`}
                      checked={picked.has(t.id)}
                      onChange={(e) => {
                        const next = new Set(picked);
                        if (e.target.checked) next.add(t.id);
                        else next.delete(t.id);
                        setPicked(next);
                      }}
                    />
                  ) : null}
                </span>
                <span className={styles.muted}>
                  <Time iso={t.eventTime} />
                </span>
                <span>{t.source}</span>
                <span>
                  {t.alert ? (
                    <>
                      <PriorityLabel priority={t.alert.priority} />{' '}
                      <Link href={`/alerts/${t.id}`}>{t.alert.rule}</Link>
                      <div className={styles.muted}>{t.alert.output}</div>
                    </>
                  ) : (
                    <>
                      raw event: <strong>{t.raw?.summary}</strong>
                    </>
                  )}
                  <div>
                    <EntityChips
                      entities={t.entityIds
                        .map((e) => entityById.get(e))
                        .filter((e) => e !== undefined && e.kind !== 'process')
                        .map((e) => ({ kind: e!.kind, value: e!.value, label: e!.label }))}
                    />
                  </div>
                </span>
              </li>
            ))}
          </ul>
          {canTriage ? (
            <div className={styles.toolbar} style={{ marginTop: 8 }}>
              <button
                type="button"
                className="button"
                disabled={picked.size === 0 || split.isPending}
                onClick={() => split.mutate({ id: i.id, alertIds: [...picked] })}
                data-testid="incident-split"
              >
                Split {picked.size || ''} selected into a new incident
              </button>
            </div>
          ) : null}
        </div>
        <div className={styles.section}>
          <h3>Entities</h3>
          <EntityChips entities={i.entities.filter((e) => e.kind !== 'process' || i.entities.length < 12)} />
        </div>
      </div>

      <div className={`panel ${styles.stack}`}>
        {canTriage ? (
          <div className={styles.section} data-testid="incident-triage">
            <h3>Triage</h3>
            <div className={styles.stack}>
              <select
                className="select"
                aria-label="Status"
                value={i.status}
                onChange={(e) => update.mutate({ id: i.id, status: e.target.value as typeof i.status })}
                data-testid="incident-status-select"
              >
                <option value="open">Open</option>
                <option value="acknowledged">Acknowledged</option>
                <option value="resolved">Resolved</option>
              </select>
              <select
                className="select"
                aria-label="Assignee"
                value={i.assignee?.id ?? ''}
                onChange={(e) => update.mutate({ id: i.id, assigneeId: e.target.value || null })}
              >
                <option value="">Unassigned</option>
                {(members.data ?? []).map((m) => (
                  <option key={m.userId} value={m.userId}>
                    {m.name}
                  </option>
                ))}
              </select>
              <textarea
                className="input"
                aria-label="Resolution"
                placeholder="Resolution"
                rows={2}
                value={resolution ?? i.resolution ?? ''}
                onChange={(e) => setResolution(e.target.value)}
              />
              <button
                type="button"
                className="button"
                disabled={resolution === null}
                onClick={() => update.mutate({ id: i.id, resolution: resolution?.trim() || null })}
              >
                Save resolution
              </button>
            </div>
          </div>
        ) : null}
        {canTriage && mergeable.length > 0 ? (
          <div className={styles.section}>
            <h3>Merge</h3>
            <div className={styles.stack}>
              <select
                className="select"
                aria-label="Incident to merge in"
                value={mergeFrom}
                onChange={(e) => setMergeFrom(e.target.value)}
              >
                <option value="">Choose an incident…</option>
                {mergeable.map((o) => (
                  <option key={o.id} value={o.id}>
                    {o.title}
                  </option>
                ))}
              </select>
              <button
                type="button"
                className="button"
                disabled={!mergeFrom || merge.isPending}
                onClick={() =>
                  merge.mutate(
                    { targetId: i.id, sourceIds: [mergeFrom] },
                    { onSuccess: () => setMergeFrom('') },
                  )
                }
              >
                Merge into this incident
              </button>
            </div>
          </div>
        ) : null}
        {error ? <p className="field-error">{error.message}</p> : null}
        <div className={styles.section}>
          <h3>Notes and history</h3>
          {canTriage ? (
            <form
              className={styles.stack}
              onSubmit={(e) => {
                e.preventDefault();
                if (noteText.trim())
                  note.mutate({ id: i.id, body: noteText }, { onSuccess: () => setNoteText('') });
              }}
            >
              <textarea
                className="input"
                aria-label="Note"
                rows={2}
                value={noteText}
                onChange={(e) => setNoteText(e.target.value)}
              />
              <button type="submit" className="button" disabled={!noteText.trim()}>
                Add note
              </button>
            </form>
          ) : null}
          <div data-testid="incident-activity">
            {i.activities.map((a) => (
              <div key={a.id} className={styles.activity}>
                <span className={styles.muted}>
                  <Time iso={a.createdAt} /> {a.actor ?? 'Peregrine'}
                </span>{' '}
                {activityText(a.kind, a.detail)}
              </div>
            ))}
          </div>
        </div>
      </div>
    </div>
  );
}

function activityText(kind: string, detail: unknown): string {
  const d = (detail ?? {}) as Record<string, unknown>;
  switch (kind) {
    case 'created':
      return `opened by ${String(d.rule ?? 'an alert')}`;
    case 'note':
      return `noted: ${String(d.body ?? '')}`;
    case 'status':
      return `status ${String(d.from)} → ${String(d.to)}`;
    case 'assignee':
      return d.to ? 'assigned' : 'unassigned';
    case 'resolution':
      return `resolution: ${String(d.to ?? '')}`;
    case 'merged':
      return `merged ${Array.isArray(d.from) ? d.from.length : 0} incident(s) in`;
    case 'merged_into':
      return 'merged into another incident';
    case 'split':
      return `split ${Array.isArray(d.alerts) ? d.alerts.length : 0} alert(s) out`;
    case 'split_from':
      return 'split from another incident';
    default:
      return kind;
  }
}
