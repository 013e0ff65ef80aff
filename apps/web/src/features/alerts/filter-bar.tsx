'use client';

import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useEffect, useId, useState } from 'react';
import { PRIORITIES, RANGES, STATUSES } from '@/server/routers/alerts/alert-filter.schema';
import { useTRPC } from '@/trpc/client';
import styles from './alerts.module.css';
import type { UrlFilter } from './filter-url';
import { STATUS_LABELS } from './priority';

export interface Member {
  userId: string;
  name: string;
}

type AddKind = 'field' | 'rule' | 'source' | 'tag' | 'host' | 'assignee';

const KIND_LABELS: Record<AddKind, string> = {
  field: 'Output field',
  rule: 'Rule',
  source: 'Source',
  tag: 'Tag',
  host: 'Host',
  assignee: 'Assignee',
};

const RANGE_LABELS: Record<string, string> = {
  '15m': 'Last 15 minutes',
  '1h': 'Last hour',
  '6h': 'Last 6 hours',
  '24h': 'Last 24 hours',
  '7d': 'Last 7 days',
  '30d': 'Last 30 days',
};

/** `<input type=datetime-local>` wants local time without zone. */
function toLocalInput(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/**
 * The alert list's filters. Every change goes straight to the URL (the list reads it from there),
 * so the browser's back button and shared links reproduce the view.
 */
export function FilterBar({
  filter,
  environments,
  members,
  onChange,
}: {
  filter: UrlFilter;
  environments: { name: string; displayName: string }[];
  members: Member[];
  /**
   * Receives a change to apply to the newest filter, not a whole filter: two quick changes (the
   * priority comparison, then the priority) would otherwise each start from the URL as it was
   * before either landed, and the second would undo the first.
   */
  onChange: (change: (current: UrlFilter) => UrlFilter) => void;
}) {
  const trpc = useTRPC();
  const facets = useQuery({
    ...trpc.alerts.facets.queryOptions({ environment: filter.environment }),
    staleTime: 60_000,
  });
  const [text, setText] = useState(filter.text ?? '');
  useEffect(() => setText(filter.text ?? ''), [filter.text]);
  const [kind, setKind] = useState<AddKind>('field');
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const listId = useId();
  const custom = !filter.range && Boolean(filter.from || filter.to);

  const suggestions: string[] =
    kind === 'rule'
      ? (facets.data?.rules ?? [])
      : kind === 'source'
        ? (facets.data?.sources ?? [])
        : kind === 'tag'
          ? (facets.data?.tags ?? [])
          : kind === 'host'
            ? (facets.data?.hostnames ?? [])
            : ['k8s.ns.name = ', 'k8s.pod.name = ', 'proc.name = ', 'container.id = ', 'user.name = '];

  function add(event: FormEvent) {
    event.preventDefault();
    const v = value.trim();
    if (!v) return;
    setError(null);
    let change: (f: UrlFilter) => UrlFilter;
    if (kind === 'field') {
      const eq = v.indexOf('=');
      const key = eq > 0 ? v.slice(0, eq).trim() : '';
      if (!key) {
        setError('Write it as field = value, e.g. k8s.ns.name = prod');
        return;
      }
      const field = { key, value: v.slice(eq + 1).trim() };
      change = (f) => ({ ...f, fields: [...(f.fields ?? []), field] });
    } else if (kind === 'assignee') {
      const member = members.find((m) => m.name.toLowerCase() === v.toLowerCase() || m.userId === v);
      const id = v === 'me' || v === 'none' ? v : member?.userId;
      if (!id) {
        setError(`No member named "${v}"`);
        return;
      }
      change = (f) => ({ ...f, assignees: [...new Set([...(f.assignees ?? []), id])] });
    } else {
      const key = ({ rule: 'rules', source: 'sources', tag: 'tags', host: 'hostnames' } as const)[kind];
      change = (f) => ({ ...f, [key]: [...new Set([...(f[key] ?? []), v])] });
    }
    setValue('');
    onChange(change);
  }

  return (
    <>
      <div className={styles.toolbar} data-testid="alert-filters">
        <select
          className="select"
          aria-label="Environment"
          value={filter.environment ?? ''}
          onChange={(e) => {
            const environment = e.target.value || null;
            onChange((f) => ({ ...f, environment }));
          }}
        >
          <option value="">All environments</option>
          {environments.map((env) => (
            <option key={env.name} value={env.name}>
              {env.displayName}
            </option>
          ))}
        </select>
        <select
          className="select"
          aria-label="Priority comparison"
          value={filter.priority?.op ?? 'gte'}
          disabled={!filter.priority}
          onChange={(e) => {
            const op = e.target.value as 'gte' | 'eq';
            onChange((f) => (f.priority ? { ...f, priority: { ...f.priority, op } } : f));
          }}
        >
          <option value="gte">at least</option>
          <option value="eq">exactly</option>
        </select>
        <select
          className="select"
          aria-label="Priority"
          data-testid="filter-priority"
          value={filter.priority?.value ?? ''}
          onChange={(e) => {
            const v = e.target.value as (typeof PRIORITIES)[number] | '';
            onChange((f) => ({ ...f, priority: v ? { op: f.priority?.op ?? 'gte', value: v } : null }));
          }}
        >
          <option value="">Any priority</option>
          {PRIORITIES.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
        <select
          className="select"
          aria-label="Status"
          data-testid="filter-status"
          value={
            filter.statuses?.length === 1 ? filter.statuses[0] : filter.statuses?.length ? 'several' : ''
          }
          onChange={(e) =>
            onChange((f) => ({
              ...f,
              statuses: e.target.value ? [e.target.value as (typeof STATUSES)[number]] : [],
            }))
          }
        >
          <option value="">Any status</option>
          {filter.statuses && filter.statuses.length > 1 ? <option value="several">Several</option> : null}
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {STATUS_LABELS[s]}
            </option>
          ))}
        </select>
        <select
          className="select"
          aria-label="Time range"
          value={filter.range ?? (custom ? 'custom' : '')}
          onChange={(e) => {
            const v = e.target.value;
            if (v === 'custom') {
              onChange((f) => ({
                ...f,
                range: null,
                from: new Date(Date.now() - 86_400_000).toISOString(),
                to: null,
              }));
            } else {
              onChange((f) => ({ ...f, range: (v || null) as UrlFilter['range'], from: null, to: null }));
            }
          }}
        >
          <option value="">Any time</option>
          {RANGES.map((r) => (
            <option key={r} value={r}>
              {RANGE_LABELS[r]}
            </option>
          ))}
          <option value="custom">Custom…</option>
        </select>
        {custom ? (
          <>
            <input
              className="input"
              type="datetime-local"
              aria-label="From"
              value={toLocalInput(filter.from)}
              onChange={(e) =>
                onChange((f) => ({
                  ...f,
                  from: e.target.value ? new Date(e.target.value).toISOString() : null,
                }))
              }
            />
            <input
              className="input"
              type="datetime-local"
              aria-label="To"
              value={toLocalInput(filter.to)}
              onChange={(e) =>
                onChange((f) => ({
                  ...f,
                  to: e.target.value ? new Date(e.target.value).toISOString() : null,
                }))
              }
            />
          </>
        ) : null}
        <form
          className={styles.grow}
          onSubmit={(e) => {
            e.preventDefault();
            onChange((f) => ({ ...f, text: text.trim() }));
          }}
        >
          <input
            className="input"
            style={{ width: '100%' }}
            type="search"
            placeholder="Search messages… (Enter)"
            aria-label="Search messages"
            title="Case-insensitive text in the alert's message: its output without Falco's time prefix"
            data-testid="filter-text"
            value={text}
            maxLength={256}
            onChange={(e) => setText(e.target.value)}
          />
        </form>
      </div>
      <form className={styles.toolbar} style={{ paddingTop: 0 }} onSubmit={add}>
        <select
          className="select"
          aria-label="Filter on"
          data-testid="filter-add-kind"
          value={kind}
          onChange={(e) => setKind(e.target.value as AddKind)}
        >
          {(Object.keys(KIND_LABELS) as AddKind[]).map((k) => (
            <option key={k} value={k}>
              {KIND_LABELS[k]}
            </option>
          ))}
        </select>
        <input
          className={`input ${styles.grow}`}
          list={listId}
          aria-label="Filter value"
          data-testid="filter-add-value"
          placeholder={
            kind === 'field' ? 'k8s.ns.name = prod' : kind === 'assignee' ? 'me, none or a name' : 'value'
          }
          value={value}
          maxLength={1100}
          onChange={(e) => setValue(e.target.value)}
        />
        <datalist id={listId}>
          {(kind === 'assignee' ? ['me', 'none', ...members.map((m) => m.name)] : suggestions).map((s) => (
            <option key={s} value={s} />
          ))}
        </datalist>
        <button className="button" type="submit" data-testid="filter-add">
          Add filter
        </button>
        {error ? <span className={styles.error}>{error}</span> : null}
      </form>
      <ActiveFilters filter={filter} members={members} onChange={onChange} />
    </>
  );
}

function Chip({ label, value, onRemove }: { label: string; value: string; onRemove: () => void }) {
  return (
    <span className={styles.chip} data-testid="filter-chip">
      <span className={styles.chipLabel}>{label}</span>
      <span className={styles.chipValue} title={value}>
        {value}
      </span>
      <button
        type="button"
        className={styles.chipRemove}
        aria-label={`Remove ${label} ${value}`}
        onClick={onRemove}
      >
        ×
      </button>
    </span>
  );
}

/** The list-valued filters as removable chips. */
function ActiveFilters({
  filter,
  members,
  onChange,
}: {
  filter: UrlFilter;
  members: Member[];
  /**
   * Receives a change to apply to the newest filter, not a whole filter: two quick changes (the
   * priority comparison, then the priority) would otherwise each start from the URL as it was
   * before either landed, and the second would undo the first.
   */
  onChange: (change: (current: UrlFilter) => UrlFilter) => void;
}) {
  const chips: { key: string; label: string; value: string; remove: () => void }[] = [];
  const without =
    <K extends 'rules' | 'sources' | 'tags' | 'hostnames' | 'assignees'>(k: K, v: string) =>
    () =>
      onChange((f) => ({ ...f, [k]: (f[k] ?? []).filter((x) => x !== v) }));
  for (const v of filter.rules ?? [])
    chips.push({ key: `r${v}`, label: 'rule', value: v, remove: without('rules', v) });
  for (const v of filter.sources ?? [])
    chips.push({ key: `s${v}`, label: 'source', value: v, remove: without('sources', v) });
  for (const v of filter.tags ?? [])
    chips.push({ key: `t${v}`, label: 'tag', value: v, remove: without('tags', v) });
  if (filter.anyTags?.length)
    chips.push({
      key: 'anytags',
      label: filter.anyTags.length > 1 ? 'any tag' : 'tag',
      value: filter.anyTags.join(' or '),
      remove: () => onChange((f) => ({ ...f, anyTags: [] })),
    });
  for (const v of filter.hostnames ?? [])
    chips.push({ key: `h${v}`, label: 'host', value: v, remove: without('hostnames', v) });
  for (const v of filter.assignees ?? []) {
    const name =
      v === 'me' ? 'me' : v === 'none' ? 'unassigned' : (members.find((m) => m.userId === v)?.name ?? v);
    chips.push({ key: `a${v}`, label: 'assignee', value: name, remove: without('assignees', v) });
  }
  (filter.fields ?? []).forEach((f, i) => {
    chips.push({
      key: `f${i}${f.key}`,
      label: `${f.key} =`,
      value: f.value,
      remove: () => onChange((f) => ({ ...f, fields: (f.fields ?? []).filter((_, j) => j !== i) })),
    });
  });
  if (filter.statuses && filter.statuses.length > 1)
    chips.push({
      key: 'statuses',
      label: 'status',
      value: filter.statuses.map((s) => STATUS_LABELS[s]).join(' or '),
      remove: () => onChange((f) => ({ ...f, statuses: [] })),
    });
  if (filter.text)
    chips.push({
      key: 'q',
      label: 'output contains',
      value: filter.text,
      remove: () => onChange((f) => ({ ...f, text: '' })),
    });
  if (filter.group)
    chips.push({
      key: 'g',
      label: 'group',
      value: filter.group.slice(0, 8),
      remove: () => onChange((f) => ({ ...f, group: null })),
    });
  if (chips.length === 0) return null;
  return (
    <div className={styles.chips}>
      {chips.map((c) => (
        <Chip key={c.key} label={c.label} value={c.value} onRemove={c.remove} />
      ))}
    </div>
  );
}
