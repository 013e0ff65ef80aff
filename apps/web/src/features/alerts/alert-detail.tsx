'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { type ReactNode, useState } from 'react';
import { type AlertStatus, STATUSES } from '@/server/routers/alerts/alert-filter.schema';
import { errorData, useTRPC } from '@/trpc/client';
import { AlertContext } from '../entities/alert-context';
import { AlertIncidents } from '../incidents/alert-incidents';
import styles from './alerts.module.css';
import { alertsErrorText } from './error-text';
import { ExceptionDialog } from './exception-dialog';
import type { Member } from './filter-bar';
import { fieldText, PriorityLabel, STATUS_LABELS, StatusLabel, Time } from './priority';
import { RuleTestDialog } from './rule-test-dialog';
import tuning from './tuning.module.css';

function Section({ title, children, testId }: { title: string; children: ReactNode; testId?: string }) {
  return (
    <section className={styles.detailSection} data-testid={testId}>
      <h3>{title}</h3>
      {children}
    </section>
  );
}

/** What an activity entry did, in words (values are shown as text, never markup). */
function describeActivity(action: string, after: unknown, members: Member[]): string {
  const a = (after ?? {}) as { status?: AlertStatus; assigneeId?: string | null; body?: string };
  const who = (id: string | null | undefined) =>
    id ? (members.find((m) => m.userId === id)?.name ?? 'a former member') : 'nobody';
  if (action === 'note_added') return 'added a note';
  const parts: string[] = [];
  if (a.status) parts.push(`set status to ${STATUS_LABELS[a.status] ?? a.status}`);
  if ('assigneeId' in a) parts.push(`assigned to ${who(a.assigneeId)}`);
  return parts.join(' and ') || action;
}

/**
 * One alert: output, its entities with the activity around them and its process tree, every
 * output field, tags, the stored raw event, raw JSON, group, related alerts, notes, activity, (for triagers) status and assignee, and (for authors) a rule test or
 * an exception made from it. Alert content comes from attackers: it is only ever rendered as React
 * text nodes.
 */
export function AlertDetail({
  id,
  members,
  canTriage,
  canAuthor = false,
  onClose,
  onFilterField,
  onOpen,
  onChanged,
}: {
  id: string;
  members: Member[];
  canTriage: boolean;
  /** Authors make rule tests and exceptions from the alert. */
  canAuthor?: boolean;
  onClose?: () => void;
  onFilterField?: (key: string, value: string) => void;
  onOpen?: (id: string) => void;
  onChanged?: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const detail = useQuery(trpc.alerts.get.queryOptions({ id }));
  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: trpc.alerts.get.queryKey({ id }) });
    onChanged?.();
  };
  const triage = useMutation(trpc.alerts.triage.mutationOptions({ onSuccess: refresh }));
  const note = useMutation(trpc.alerts.addNote.mutationOptions({ onSuccess: refresh }));
  const [noteText, setNoteText] = useState('');
  const [showRaw, setShowRaw] = useState(false);
  const [showEvent, setShowEvent] = useState(false);
  const [dialog, setDialog] = useState<
    null | { kind: 'test'; from: 'raw' | 'fields' } | { kind: 'exception' }
  >(null);

  if (detail.isPending) return <div className={`panel ${styles.detail}`}>Loading alert…</div>;
  if (detail.isError) {
    return (
      <div className={`panel ${styles.detail}`}>
        <div className={styles.detailSection}>
          <p className={styles.error}>{alertsErrorText(detail.error)}</p>
          {onClose ? (
            <button type="button" className="button" onClick={onClose}>
              Close
            </button>
          ) : null}
        </div>
      </div>
    );
  }
  const { alert, related } = detail.data;
  const raw = {
    id: alert.id,
    time: alert.eventTime,
    rule: alert.rule,
    priority: alert.priority,
    source: alert.source,
    hostname: alert.hostname,
    output: alert.output,
    output_fields: alert.outputFields,
    tags: alert.tags,
    environment: alert.environmentName,
    status: alert.status,
  };
  const fieldEntries = Object.entries(alert.outputFields).sort(([a], [b]) => a.localeCompare(b));
  const actionError = triage.error ?? note.error;

  return (
    <aside className={`panel ${styles.detail}`} data-testid="alert-detail" aria-label="Alert detail">
      <div className={styles.detailHeader}>
        <div className={styles.detailTitle}>
          <h2 data-testid="alert-detail-rule">{alert.rule}</h2>
          <div className={styles.triage}>
            <PriorityLabel priority={alert.priority} />
            <StatusLabel status={alert.status} />
            <span className={styles.muted}>
              <Time iso={alert.eventTime} />
            </span>
          </div>
        </div>
        <Link className="button button-ghost" href={`/alerts/${alert.id}`} title="Open on its own page">
          Link
        </Link>
        {onClose ? (
          <button type="button" className="button button-ghost" onClick={onClose} aria-label="Close detail">
            ×
          </button>
        ) : null}
      </div>

      <AlertIncidents alertId={alert.id} />

      {canTriage ? (
        <Section title="Triage" testId="alert-triage">
          <div className={styles.triage}>
            <select
              className="select"
              aria-label="Status"
              data-testid="detail-status"
              value={alert.status}
              disabled={triage.isPending}
              onChange={(e) =>
                triage.mutate({ target: { ids: [alert.id] }, status: e.target.value as AlertStatus })
              }
            >
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {STATUS_LABELS[s]}
                </option>
              ))}
            </select>
            <select
              className="select"
              aria-label="Assignee"
              data-testid="detail-assignee"
              value={alert.assigneeId ?? ''}
              disabled={triage.isPending}
              onChange={(e) =>
                triage.mutate({ target: { ids: [alert.id] }, assigneeId: e.target.value || null })
              }
            >
              <option value="">Unassigned</option>
              {members.map((m) => (
                <option key={m.userId} value={m.userId}>
                  {m.name}
                </option>
              ))}
            </select>
          </div>
          {actionError ? (
            <p className={styles.error}>
              {errorData(actionError)?.issues?.[0]?.message ?? actionError.message}
            </p>
          ) : null}
        </Section>
      ) : null}

      {canAuthor ? (
        <Section title="Tune" testId="alert-tune">
          <div className={tuning.tuneActions}>
            <button
              type="button"
              className="button"
              data-testid="create-rule-test"
              onClick={() => setDialog({ kind: 'test', from: alert.rawEvent ? 'raw' : 'fields' })}
            >
              Create rule test
            </button>
            <button
              type="button"
              className="button"
              data-testid="propose-exception"
              onClick={() => setDialog({ kind: 'exception' })}
            >
              Propose exception…
            </button>
          </div>
        </Section>
      ) : null}
      {dialog?.kind === 'test' ? (
        <RuleTestDialog alertId={alert.id} from={dialog.from} onClose={() => setDialog(null)} />
      ) : null}
      {dialog?.kind === 'exception' ? (
        <ExceptionDialog alertId={alert.id} onClose={() => setDialog(null)} onSaved={() => void refresh()} />
      ) : null}

      <Section title="Output">
        <pre className={styles.output} data-testid="alert-output">
          {alert.output}
        </pre>
      </Section>

      <Section title="Details">
        <dl className={styles.meta}>
          <dt>Environment</dt>
          <dd>{alert.environmentDisplayName}</dd>
          <dt>Source</dt>
          <dd>{alert.source}</dd>
          <dt>Host</dt>
          <dd>{alert.hostname ?? '—'}</dd>
          <dt>Assignee</dt>
          <dd>{alert.assigneeName ?? 'Unassigned'}</dd>
          <dt>Tags</dt>
          <dd>{alert.tags.length ? alert.tags.join(', ') : '—'}</dd>
          <dt>Received</dt>
          <dd>
            <Time iso={alert.createdAt} />
          </dd>
          {alert.group && alert.group.count > 1 ? (
            <>
              <dt>Repeats</dt>
              <dd>
                {alert.group.count.toLocaleString()} times, first <Time iso={alert.group.firstSeenAt} />, last{' '}
                <Time iso={alert.group.lastSeenAt} />
              </dd>
            </>
          ) : null}
        </dl>
      </Section>

      <AlertContext alertId={alert.id} onOpen={onOpen} />

      <Section title={`Output fields (${fieldEntries.length})`} testId="alert-fields">
        {fieldEntries.length ? (
          <table className={styles.fields}>
            <tbody>
              {fieldEntries.map(([key, value]) => (
                <tr key={key}>
                  <td>{key}</td>
                  <td>{fieldText(value)}</td>
                  <td>
                    {onFilterField && value !== null && typeof value !== 'object' ? (
                      <button
                        type="button"
                        className="button button-ghost"
                        style={{ height: 22, padding: '0 6px', fontSize: 12 }}
                        title={`Only alerts where ${key} = this value`}
                        onClick={() => onFilterField(key, String(value))}
                      >
                        Filter
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p className={styles.muted}>This alert has no output fields.</p>
        )}
      </Section>

      {alert.rawEvent ? (
        <Section title="Stored event" testId="alert-raw-event">
          <p className={styles.muted} style={{ marginBottom: 8 }}>
            The {alert.rawEvent.source} event the rule fired on, as received{' '}
            <Time iso={alert.rawEvent.eventTime} />.
          </p>
          <div className={tuning.tuneActions}>
            <button type="button" className="button" onClick={() => setShowEvent((v) => !v)}>
              {showEvent ? 'Hide' : 'Show'} event
            </button>
            {canAuthor ? (
              <button
                type="button"
                className="button"
                data-testid="raw-event-rule-test"
                onClick={() => setDialog({ kind: 'test', from: 'raw' })}
              >
                Create rule test
              </button>
            ) : null}
          </div>
          {showEvent ? (
            <pre className={styles.output} style={{ marginTop: 8 }} data-testid="alert-raw-event-json">
              {JSON.stringify(alert.rawEvent.payload, null, 2)}
            </pre>
          ) : null}
        </Section>
      ) : null}

      <Section title="Related alerts">
        <RelatedList title="Same group" items={related.sameGroup} onOpen={onOpen} />
        <RelatedList title="Same host, within an hour" items={related.sameHost} onOpen={onOpen} />
        <RelatedList title="Same rule, within an hour" items={related.sameRule} onOpen={onOpen} />
        {related.sameGroup.length + related.sameHost.length + related.sameRule.length === 0 ? (
          <p className={styles.muted}>Nothing else from this group, host or rule within an hour.</p>
        ) : null}
      </Section>

      <Section title={`Notes (${alert.notes.length})`} testId="alert-notes">
        <ul className={styles.timeline}>
          {alert.notes.map((n) => (
            <li key={n.id}>
              <div className={styles.muted}>
                {n.authorName ?? 'Former member'}
                {n.authorApiKeyId ? ' (API key)' : ''} · <Time iso={n.createdAt} />
              </div>
              <div className={styles.noteBody} data-testid="note-body">
                {n.body}
              </div>
            </li>
          ))}
        </ul>
        {canTriage ? (
          <form
            style={{ display: 'grid', gap: 6, marginTop: 8 }}
            onSubmit={(e) => {
              e.preventDefault();
              if (noteText.trim())
                note.mutate({ alertId: alert.id, body: noteText }, { onSuccess: () => setNoteText('') });
            }}
          >
            <textarea
              className="input"
              style={{ height: 64, paddingTop: 6 }}
              aria-label="New note"
              data-testid="note-input"
              maxLength={10_000}
              value={noteText}
              onChange={(e) => setNoteText(e.target.value)}
              placeholder="What did you find?"
            />
            <div>
              <button
                className="button"
                type="submit"
                disabled={note.isPending || !noteText.trim()}
                data-testid="note-add"
              >
                Add note
              </button>
            </div>
          </form>
        ) : null}
      </Section>

      <Section title="Activity" testId="alert-activity">
        {alert.activities.length ? (
          <ul className={styles.timeline}>
            {alert.activities.map((a) => (
              <li key={a.id}>
                <strong>
                  {a.actorName ?? 'Someone'}
                  {a.actorApiKeyId ? ' (API key)' : ''}
                </strong>{' '}
                {describeActivity(a.action, a.after, members)}
                <div className={styles.muted}>
                  <Time iso={a.createdAt} />
                </div>
              </li>
            ))}
          </ul>
        ) : (
          <p className={styles.muted}>No triage yet.</p>
        )}
      </Section>

      <Section title="Raw JSON">
        <button type="button" className="button" onClick={() => setShowRaw((v) => !v)}>
          {showRaw ? 'Hide' : 'Show'} JSON
        </button>{' '}
        <button
          type="button"
          className="button button-ghost"
          onClick={() => void navigator.clipboard?.writeText(JSON.stringify(raw, null, 2))}
        >
          Copy
        </button>
        {showRaw ? (
          <pre className={styles.output} style={{ marginTop: 8 }} data-testid="alert-raw">
            {JSON.stringify(raw, null, 2)}
          </pre>
        ) : null}
      </Section>
    </aside>
  );
}

function RelatedList({
  title,
  items,
  onOpen,
}: {
  title: string;
  items: { id: string; rule: string; hostname: string | null; output: string; eventTime: string }[];
  onOpen: ((id: string) => void) | undefined;
}) {
  if (items.length === 0) return null;
  return (
    <div style={{ marginBottom: 8 }}>
      <div className={styles.muted} style={{ fontSize: 12, marginBottom: 2 }}>
        {title}
      </div>
      <ul className={styles.related}>
        {items.map((r) => (
          <li key={r.id}>
            <span className={styles.muted}>
              <Time iso={r.eventTime} />
            </span>
            {onOpen ? (
              <button
                type="button"
                className={`${styles.linkish} ${styles.relatedText}`}
                onClick={() => onOpen(r.id)}
              >
                {r.rule} · {r.output}
              </button>
            ) : (
              <Link className={styles.relatedText} href={`/alerts/${r.id}`}>
                {r.rule} · {r.output}
              </Link>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
