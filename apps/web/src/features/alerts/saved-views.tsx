'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ReadonlyURLSearchParams } from 'next/navigation';
import { useState } from 'react';
import { useTRPC } from '@/trpc/client';
import styles from './alerts.module.css';
import { filterQueryRecord, queryRecordToParams } from './filter-url';

/** Saved views: pick one to load its filters into the URL, or save the current filters. */
export function SavedViews({
  params,
  onApply,
  viewerId,
}: {
  params: ReadonlyURLSearchParams;
  onApply: (params: URLSearchParams) => void;
  viewerId: string;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const views = useQuery(trpc.views.list.queryOptions());
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.views.list.queryKey() });
  const create = useMutation(trpc.views.create.mutationOptions({ onSuccess: invalidate }));
  const remove = useMutation(trpc.views.delete.mutationOptions({ onSuccess: invalidate }));
  const [saving, setSaving] = useState(false);
  const [name, setName] = useState('');
  const [shared, setShared] = useState(false);

  const current = filterQueryRecord(new URLSearchParams(params.toString())).qs;
  const active = views.data?.find((v) => v.query.qs === current) ?? null;

  if (saving) {
    return (
      <form
        className={styles.triage}
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate(
            { name, shared, query: filterQueryRecord(new URLSearchParams(params.toString())) },
            {
              onSuccess: () => {
                setSaving(false);
                setName('');
              },
            },
          );
        }}
      >
        <input
          className="input"
          aria-label="View name"
          data-testid="view-name"
          placeholder="View name"
          maxLength={80}
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
        <label className={styles.live}>
          <input type="checkbox" checked={shared} onChange={(e) => setShared(e.target.checked)} /> Shared
        </label>
        <button
          className="button button-primary"
          type="submit"
          disabled={!name.trim() || create.isPending}
          data-testid="view-save"
        >
          Save
        </button>
        <button className="button button-ghost" type="button" onClick={() => setSaving(false)}>
          Cancel
        </button>
        {create.error ? <span className={styles.error}>{create.error.message}</span> : null}
      </form>
    );
  }
  return (
    <span className={styles.triage}>
      <select
        className="select"
        aria-label="Saved views"
        data-testid="saved-views"
        value={active?.id ?? ''}
        onChange={(e) => {
          const view = views.data?.find((v) => v.id === e.target.value);
          if (view) onApply(queryRecordToParams(view.query));
        }}
      >
        <option value="">{views.data?.length ? 'Saved views…' : 'No saved views'}</option>
        {views.data?.map((v) => (
          <option key={v.id} value={v.id}>
            {v.name}
            {v.shared ? ` (shared${v.ownerId === viewerId ? '' : ` by ${v.ownerName}`})` : ''}
          </option>
        ))}
      </select>
      {active ? (
        <button
          type="button"
          className="button button-ghost"
          disabled={remove.isPending}
          title={`Delete "${active.name}"`}
          onClick={() => remove.mutate({ id: active.id })}
        >
          Delete view
        </button>
      ) : (
        <button
          type="button"
          className="button button-ghost"
          data-testid="view-new"
          onClick={() => setSaving(true)}
        >
          Save view
        </button>
      )}
    </span>
  );
}
