'use client';

import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { Fragment, useState } from 'react';
import styles from '@/features/admin/admin.module.css';
import { ErrorBanner, formatUtc, TimeAgo } from '@/features/admin/admin-ui';
import type { RouterInputs, RouterOutputs } from '@/features/members/router-types';
import { useTRPC } from '@/trpc/client';
import audit from './audit.module.css';
import { diffJson, formatValue } from './json-diff';

type Entry = RouterOutputs['audit']['list']['entries'][number];
type Filter = NonNullable<RouterInputs['audit']['list']['filter']>;
const FILTER_KEYS = ['actor', 'action', 'targetType', 'targetId', 'from', 'to'] as const;

/** `datetime-local` values are read and written as UTC, the time zone the log shows. */
const toInput = (iso: string | undefined) => (iso ? iso.slice(0, 16) : '');
const fromInput = (value: string) => (value ? `${value}:00.000Z` : undefined);

function ActorCell({ actor }: { actor: Entry['actor'] }) {
  switch (actor.kind) {
    case 'user':
      return (
        <span title={actor.email}>
          {actor.name} <span className={styles.muted}>{actor.email}</span>
        </span>
      );
    case 'api_key':
      return (
        <span>
          <span className="badge">API key</span> {actor.name}{' '}
          <span className={styles.mono}>{actor.prefix ? `${actor.prefix}…` : ''}</span>
        </span>
      );
    case 'deleted_user':
      return <span className={styles.muted}>deleted user</span>;
    default:
      return <span className={styles.muted}>system</span>;
  }
}

/** A human handle for an entry's target (an email or a name), from its after or before values. */
function targetLabel(entry: Entry): string | null {
  for (const side of [entry.after, entry.before]) {
    if (typeof side === 'object' && side !== null) {
      const record = side as Record<string, unknown>;
      for (const key of ['email', 'name']) if (typeof record[key] === 'string') return record[key] as string;
    }
  }
  return null;
}

/** Before and after of one entry, as the leaves that changed. Values are rendered as text only. */
function EntryDiff({ entry }: { entry: Entry }) {
  const lines = diffJson(entry.before, entry.after);
  if (lines.length === 0) return <p className={styles.muted}>No recorded before/after values.</p>;
  return (
    <table className={audit.diff} data-testid="audit-diff">
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Before</th>
          <th scope="col">After</th>
        </tr>
      </thead>
      <tbody>
        {lines.map((line) => (
          <tr key={line.path} className={audit[line.kind]}>
            <td className={styles.mono}>{line.path}</td>
            <td className={`${styles.mono} ${audit.before}`}>
              {line.kind === 'added' ? '' : formatValue(line.before)}
            </td>
            <td className={`${styles.mono} ${audit.after}`}>
              {line.kind === 'removed' ? '' : formatValue(line.after)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * An audit log, the organisation's or (`scope="instance"`, instance admins) the instance-level
 * one: filters kept in the URL, newest first, keyset "load older".
 */
export function AuditView({ scope = 'organization' }: { scope?: 'organization' | 'instance' }) {
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const filter: Filter = {};
  for (const key of FILTER_KEYS) {
    const value = params.get(key);
    if (value) filter[key] = value;
  }
  const [expanded, setExpanded] = useState<Set<string>>(new Set());
  const instance = scope === 'instance';
  const facets = useQuery(
    instance ? trpc.audit.instanceFacets.queryOptions() : trpc.audit.facets.queryOptions(),
  );
  const pageOptions = {
    getNextPageParam: (last: { nextCursor: string | null }) => last.nextCursor ?? undefined,
  };
  const pages = useInfiniteQuery(
    instance
      ? trpc.audit.listInstance.infiniteQueryOptions({ filter, limit: 50 }, pageOptions)
      : trpc.audit.list.infiniteQueryOptions({ filter, limit: 50 }, pageOptions),
  );
  const entries = pages.data?.pages.flatMap((p) => p.entries) ?? [];

  const setFilter = (key: (typeof FILTER_KEYS)[number], value: string | undefined) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    router.replace(`${pathname}${next.size ? `?${next}` : ''}`, { scroll: false });
  };
  const toggle = (id: string) =>
    setExpanded((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const active = FILTER_KEYS.some((k) => filter[k]);

  return (
    <section className="panel">
      <div className={audit.filters} data-testid="audit-filters">
        <div className="field">
          <label className="field-label" htmlFor="audit-actor">
            Actor
          </label>
          <select
            id="audit-actor"
            className="select"
            value={filter.actor ?? ''}
            onChange={(e) => setFilter('actor', e.target.value || undefined)}
          >
            <option value="">Anyone</option>
            {facets.data?.users.map((u) => (
              <option key={u.id} value={`user:${u.id}`}>
                {u.name} ({u.email})
              </option>
            ))}
            {facets.data?.apiKeys.map((k) => (
              <option key={k.id} value={`api_key:${k.id}`}>
                API key: {k.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label className="field-label" htmlFor="audit-action">
            Action
          </label>
          <select
            id="audit-action"
            className="select"
            value={filter.action ?? ''}
            onChange={(e) => setFilter('action', e.target.value || undefined)}
          >
            <option value="">Any action</option>
            {[...new Set(facets.data?.actions.map((a) => `${a.split('.')[0]}.`) ?? [])].map((family) => (
              <option key={family} value={family}>
                {family}*
              </option>
            ))}
            {facets.data?.actions.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label className="field-label" htmlFor="audit-target-type">
            Target
          </label>
          <select
            id="audit-target-type"
            className="select"
            value={filter.targetType ?? ''}
            onChange={(e) => setFilter('targetType', e.target.value || undefined)}
          >
            <option value="">Any target</option>
            {facets.data?.targetTypes.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label className="field-label" htmlFor="audit-target-id">
            Target ID
          </label>
          <input
            id="audit-target-id"
            className="input"
            defaultValue={filter.targetId ?? ''}
            placeholder="exact id"
            onBlur={(e) => setFilter('targetId', e.target.value.trim() || undefined)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') setFilter('targetId', e.currentTarget.value.trim() || undefined);
            }}
          />
        </div>
        <div className="field">
          <label className="field-label" htmlFor="audit-from">
            From (UTC)
          </label>
          <input
            id="audit-from"
            type="datetime-local"
            className="input"
            value={toInput(filter.from)}
            onChange={(e) => setFilter('from', fromInput(e.target.value))}
          />
        </div>
        <div className="field">
          <label className="field-label" htmlFor="audit-to">
            Until (UTC)
          </label>
          <input
            id="audit-to"
            type="datetime-local"
            className="input"
            value={toInput(filter.to)}
            onChange={(e) => setFilter('to', fromInput(e.target.value))}
          />
        </div>
        {active ? (
          <button type="button" className="button button-ghost" onClick={() => router.replace(pathname)}>
            Clear filters
          </button>
        ) : null}
      </div>
      <ErrorBanner error={pages.error} />
      <div className={styles.tableWrap}>
        <table className="table" data-testid="audit-table">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">What</th>
              <th scope="col">Target</th>
              <th scope="col">
                <span className="visually-hidden">Details</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {entries.map((entry) => {
              const open = expanded.has(entry.id);
              return (
                <Fragment key={entry.id}>
                  <tr data-testid="audit-row">
                    <td title={formatUtc(entry.createdAt)}>
                      <TimeAgo iso={entry.createdAt} />
                    </td>
                    <td>
                      <ActorCell actor={entry.actor} />
                    </td>
                    <td>
                      <button
                        type="button"
                        className={audit.linkButton}
                        onClick={() => setFilter('action', entry.action)}
                        title="Show only this action"
                      >
                        <code>{entry.action}</code>
                      </button>
                    </td>
                    <td>
                      <span className={audit.targetType}>{entry.targetType.replaceAll('_', ' ')}</span>{' '}
                      {targetLabel(entry) ? <span>{targetLabel(entry)} </span> : null}
                      {entry.targetId ? (
                        <button
                          type="button"
                          className={`${audit.linkButton} ${styles.mono}`}
                          onClick={() => setFilter('targetId', entry.targetId ?? undefined)}
                          title="Show this target's history"
                        >
                          {entry.targetId.length > 14 ? `${entry.targetId.slice(0, 8)}…` : entry.targetId}
                        </button>
                      ) : null}
                    </td>
                    <td>
                      <div className={styles.rowActions}>
                        <button
                          type="button"
                          className="button button-ghost"
                          aria-expanded={open}
                          onClick={() => toggle(entry.id)}
                        >
                          {open ? 'Hide changes' : 'Changes'}
                        </button>
                      </div>
                    </td>
                  </tr>
                  {open ? (
                    <tr className={audit.detailRow}>
                      <td colSpan={5}>
                        <EntryDiff entry={entry} />
                        <p className={styles.muted}>
                          {formatUtc(entry.createdAt)}
                          {entry.targetId ? ` · target ${entry.targetId}` : ''}
                          {entry.userAgent ? ` · ${entry.userAgent}` : ''}
                        </p>
                      </td>
                    </tr>
                  ) : null}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      </div>
      {pages.isPending ? <p className={styles.empty}>Loading…</p> : null}
      {!pages.isPending && entries.length === 0 ? (
        <p className={styles.empty}>
          {active ? 'No changes match these filters.' : 'No changes recorded yet.'}
        </p>
      ) : null}
      {pages.hasNextPage ? (
        <div className={audit.more}>
          <button
            type="button"
            className="button"
            disabled={pages.isFetchingNextPage}
            onClick={() => pages.fetchNextPage()}
          >
            {pages.isFetchingNextPage ? 'Loading…' : 'Load older changes'}
          </button>
        </div>
      ) : null}
    </section>
  );
}
