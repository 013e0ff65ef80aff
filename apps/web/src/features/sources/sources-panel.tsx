'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import styles from '@/features/members/admin.module.css';
import { ConfirmButton, ErrorBanner, ShownOnce, TimeAgo } from '@/features/members/admin-ui';
import type { RouterOutputs } from '@/features/members/router-types';
import { useTRPC } from '@/trpc/client';
import { KIND_LABEL, SourceForm } from './source-form';

type Source = RouterOutputs['sources']['list'][number];
type Environment = { id: string; name: string; displayName: string };

const ROTATABLE = new Set(['k8s_audit', 'falco', 'github', 'okta']);

/** Cloud sources per environment: add, edit (secrets write-only), enable, rotate credentials, delete. */
export function SourcesPanel({
  initialSources,
  environments,
  defaultEnvironmentId,
  canManage,
  secretsAvailable,
}: {
  initialSources: Source[];
  environments: Environment[];
  defaultEnvironmentId: string | null;
  canManage: boolean;
  secretsAvailable: boolean;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const sources = useQuery({
    ...trpc.sources.list.queryOptions({}),
    initialData: initialSources,
    refetchInterval: 30_000,
  });
  const refresh = () => queryClient.invalidateQueries(trpc.sources.list.queryFilter());
  const create = useMutation(trpc.sources.create.mutationOptions({ onSettled: refresh }));
  const update = useMutation(trpc.sources.update.mutationOptions({ onSettled: refresh }));
  const rotate = useMutation(trpc.sources.rotateCredential.mutationOptions({ onSettled: refresh }));
  const remove = useMutation(trpc.sources.delete.mutationOptions({ onSettled: refresh }));
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<string | null>(null);
  const [issued, setIssued] = useState<{ name: string; credential: string; source: Source } | null>(null);
  const error = create.error ?? update.error ?? rotate.error ?? remove.error;

  const showIssued = (result: { source: Source; credential: string | null }) => {
    if (result.credential)
      setIssued({ name: result.source.name, credential: result.credential, source: result.source });
  };

  return (
    <section className="panel" aria-labelledby="sources-heading">
      <div className="panel-header">
        <h2 id="sources-heading">Cloud sources</h2>
        {canManage && !adding ? (
          <button type="button" className="button" onClick={() => setAdding(true)} data-testid="add-source">
            Add source
          </button>
        ) : null}
      </div>
      {canManage && !secretsAvailable ? (
        <p className={styles.note} style={{ borderTop: 0 }}>
          PEREGRINE_SECRET_KEY is not set: GitHub, Okta and CloudTrail credentials cannot be stored until the
          console and the collector share one.
        </p>
      ) : null}
      <ErrorBanner error={error} />
      {adding ? (
        <SourceForm
          environments={environments}
          defaultEnvironmentId={defaultEnvironmentId}
          busy={create.isPending}
          onCancel={() => setAdding(false)}
          onSubmit={async (values) => {
            try {
              showIssued(await create.mutateAsync(values));
              setAdding(false);
            } catch {
              // Shown by the banner.
            }
          }}
        />
      ) : null}
      {issued ? (
        <ShownOnce
          testId="source-credential"
          title={`${issued.source.connection.snippet?.title ?? 'Credential'} for ${issued.name}`}
          value={issued.source.connection.snippet?.text ?? issued.credential}
          hint="This includes the source's credential, shown only now: it is stored hashed or encrypted."
          onDismiss={() => setIssued(null)}
        />
      ) : null}
      {sources.data.length === 0 && !adding ? (
        <p className={styles.empty}>
          No cloud sources yet: Kubernetes audit logs, GitHub, Okta, CloudTrail or an existing Falco fleet.
        </p>
      ) : null}
      {sources.data.length > 0 ? (
        <div className={styles.tableWrap}>
          <table className="table" data-testid="sources-table">
            <thead>
              <tr>
                <th scope="col">Source</th>
                <th scope="col">Environment</th>
                <th scope="col">Endpoint / credentials</th>
                <th scope="col">Last event / error</th>
                {canManage ? (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {sources.data.map((source) => (
                <SourceRow
                  key={source.id}
                  source={source}
                  canManage={canManage}
                  editing={editing === source.id}
                  busy={update.isPending || rotate.isPending || remove.isPending}
                  onEdit={() => setEditing(editing === source.id ? null : source.id)}
                  onToggle={() => update.mutate({ sourceId: source.id, enabled: !source.enabled })}
                  onRotate={async () => showIssued(await rotate.mutateAsync({ sourceId: source.id }))}
                  onDelete={() => remove.mutate({ sourceId: source.id })}
                  editor={
                    <SourceForm
                      source={source}
                      environments={environments}
                      busy={update.isPending}
                      onCancel={() => setEditing(null)}
                      onSubmit={async ({ name, settings }) => {
                        try {
                          await update.mutateAsync({ sourceId: source.id, name, settings });
                          setEditing(null);
                        } catch {
                          // Shown by the banner.
                        }
                      }}
                    />
                  }
                />
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

function SourceRow({
  source,
  canManage,
  editing,
  busy,
  onEdit,
  onToggle,
  onRotate,
  onDelete,
  editor,
}: {
  source: Source;
  canManage: boolean;
  editing: boolean;
  busy: boolean;
  onEdit: () => void;
  onToggle: () => void;
  onRotate: () => void;
  onDelete: () => void;
  editor: React.ReactNode;
}) {
  const credentials = [
    source.tokenPrefix ? `token ${source.tokenPrefix}…` : null,
    ...(source.secretNames ??
      (source.hasSecrets ? ['secrets (unreadable without PEREGRINE_SECRET_KEY)'] : [])),
  ].filter(Boolean);
  const summary =
    source.kind === 'okta'
      ? source.config.polling === false
        ? ''
        : String(source.config.testServerUrl ?? source.config.domain ?? source.config.baseUrl ?? '')
      : source.kind === 'aws_cloudtrail'
        ? source.config.mode === 'folder'
          ? String(source.config.path ?? '')
          : `s3://${String(source.config.bucket ?? '')}/${String(source.config.prefix ?? '')}`
        : null;
  return (
    <>
      <tr data-testid={`source-${source.name}`}>
        <td>
          {source.name} {source.enabled ? null : <span className="badge">disabled</span>}
          <div className="field-hint">{KIND_LABEL[source.kind] ?? source.kind}</div>
        </td>
        <td>{source.environment.displayName}</td>
        <td style={{ whiteSpace: 'normal', wordBreak: 'break-all', minWidth: 260 }}>
          {source.connection.endpoint ? (
            <code className={styles.mono}>{source.connection.endpoint}</code>
          ) : null}
          {summary ? (
            <div className={source.connection.endpoint ? 'field-hint' : undefined}>
              <span className={styles.mono}>{source.connection.endpoint ? `polls ${summary}` : summary}</span>
            </div>
          ) : null}
          <div className="field-hint">
            {credentials.length ? credentials.join(', ') : 'no stored credentials'}
          </div>
        </td>
        <td style={{ whiteSpace: 'normal', maxWidth: 300 }}>
          <TimeAgo iso={source.lastEventAt} never="no events yet" />
          {source.lastError ? (
            <div className={`field-hint ${styles.danger}`} title={source.lastErrorAt ?? undefined}>
              {source.lastError}
            </div>
          ) : null}
        </td>
        {canManage ? (
          <td>
            <div className={styles.rowActions}>
              <button type="button" className="button button-ghost" onClick={onEdit} disabled={busy}>
                {editing ? 'Close' : 'Edit'}
              </button>
              <button type="button" className="button button-ghost" onClick={onToggle} disabled={busy}>
                {source.enabled ? 'Disable' : 'Enable'}
              </button>
              {ROTATABLE.has(source.kind) ? (
                <ConfirmButton
                  label={source.kind === 'github' ? 'New secret' : 'Rotate token'}
                  confirmLabel="Replace now"
                  disabled={busy}
                  onConfirm={onRotate}
                />
              ) : null}
              <ConfirmButton
                label="Delete"
                confirmLabel="Delete source"
                disabled={busy}
                onConfirm={onDelete}
              />
            </div>
          </td>
        ) : null}
      </tr>
      {editing ? (
        <tr>
          <td colSpan={canManage ? 5 : 4} style={{ height: 'auto', padding: 0, whiteSpace: 'normal' }}>
            {editor}
          </td>
        </tr>
      ) : null}
    </>
  );
}
