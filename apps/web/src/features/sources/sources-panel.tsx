'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { type AdminColumn, AdminPanel, AdminTable } from '@/features/admin/admin-panel';
import styles from '@/features/admin/admin.module.css';
import { ConfirmButton, ErrorBanner, ShownOnce, TimeAgo } from '@/features/admin/admin-ui';
import type { RouterOutputs } from '@/features/members/router-types';
import { useTRPC } from '@/trpc/client';
import { KIND_LABEL, SourceForm } from './source-form';
import { TestEventOutcome } from './test-event-outcome';

type Source = RouterOutputs['sources']['list'][number];
type Environment = { id: string; name: string; displayName: string };

const ROTATABLE = new Set(['k8s_audit', 'falco', 'github', 'okta']);
/** Kinds whose test event the collector can send (every kind it ingests). */
const TESTABLE = new Set(['k8s_audit', 'falco', 'github', 'okta', 'aws_cloudtrail']);

/** Stored credentials of a source, named, never their values. */
function credentialsOf(source: Source): string[] {
  return [
    source.tokenPrefix ? `token ${source.tokenPrefix}…` : null,
    ...(source.secretNames ??
      (source.hasSecrets ? ['secrets (unreadable without PEREGRINE_SECRET_KEY)'] : [])),
  ].filter((entry): entry is string => Boolean(entry));
}

/** Where a polled source reads from (push sources show their endpoint instead). */
function summaryOf(source: Source): string | null {
  if (source.kind === 'okta') {
    // A hook-only Okta source polls nothing; a test server, when set, is what it polls.
    if (source.config.polling === false) return null;
    return String(source.config.testServerUrl ?? source.config.domain ?? source.config.baseUrl ?? '');
  }
  if (source.kind === 'aws_cloudtrail') {
    return source.config.mode === 'folder'
      ? String(source.config.path ?? '')
      : `s3://${String(source.config.bucket ?? '')}/${String(source.config.prefix ?? '')}`;
  }
  return null;
}

/** The table's columns; `testButton` adds a source's "Send test event" under its last event. */
function columnsFor(testButton?: (source: Source) => ReactNode): AdminColumn<Source>[] {
  return [
    {
      header: 'Source',
      cell: (source) => (
        <>
          {source.name} {source.enabled ? null : <span className="badge">disabled</span>}
          <div className="field-hint">{KIND_LABEL[source.kind] ?? source.kind}</div>
        </>
      ),
    },
    { header: 'Environment', cell: (source) => source.environment.displayName },
    {
      header: 'Endpoint / credentials',
      style: { whiteSpace: 'normal', wordBreak: 'break-all', minWidth: 260 },
      cell: (source) => {
        const credentials = credentialsOf(source);
        const summary = summaryOf(source);
        return (
          <>
            {source.connection.endpoint ? (
              <code className={styles.mono}>{source.connection.endpoint}</code>
            ) : null}
            {summary ? (
              <div className={source.connection.endpoint ? 'field-hint' : undefined}>
                <span className={styles.mono}>
                  {source.connection.endpoint ? `polls ${summary}` : summary}
                </span>
              </div>
            ) : null}
            <div className="field-hint">
              {credentials.length ? credentials.join(', ') : 'no stored credentials'}
            </div>
          </>
        );
      },
    },
    {
      header: 'Last event / error',
      style: { whiteSpace: 'normal', maxWidth: 300 },
      cell: (source) => (
        <>
          <TimeAgo iso={source.lastEventAt} never="no events yet" />
          {source.lastError ? (
            <div className={`field-hint ${styles.danger}`} title={source.lastErrorAt ?? undefined}>
              {source.lastError}
            </div>
          ) : null}
          {testButton?.(source)}
        </>
      ),
    },
  ];
}

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
  // Refreshed after: the source's "last event" moves with its test event.
  const sendTest = useMutation(trpc.sources.sendTestEvent.mutationOptions({ onSettled: refresh }));
  /** The last test event's outcome per source, shown under its row until dismissed by another. */
  const [tested, setTested] = useState<
    Record<string, { result: RouterOutputs['sources']['sendTestEvent'] | null; error: unknown }>
  >({});
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<string | null>(null);
  const [issued, setIssued] = useState<{ name: string; credential: string; source: Source } | null>(null);
  const busy = update.isPending || rotate.isPending || remove.isPending;

  const showIssued = (result: { source: Source; credential: string | null }) => {
    if (result.credential)
      setIssued({ name: result.source.name, credential: result.credential, source: result.source });
  };

  const test = async (source: Source) => {
    try {
      const result = await sendTest.mutateAsync({ sourceId: source.id });
      setTested((t) => ({ ...t, [source.id]: { result, error: null } }));
    } catch (error) {
      setTested((t) => ({ ...t, [source.id]: { result: null, error } }));
    }
  };

  const testButton = (source: Source) =>
    TESTABLE.has(source.kind) ? (
      <div>
        <button
          type="button"
          className="button button-ghost"
          style={{ marginTop: 4 }}
          onClick={() => void test(source)}
          disabled={busy || sendTest.isPending || !source.enabled}
          title={
            source.enabled
              ? 'Send a sample event for this source through the collector, the rules and the store'
              : 'Enable the source to send a test event'
          }
          data-testid="send-test-event"
        >
          {sendTest.isPending && sendTest.variables?.sourceId === source.id ? 'Sending…' : 'Send test event'}
        </button>
      </div>
    ) : null;

  const actions = (source: Source) => (
    <>
      <button
        type="button"
        className="button button-ghost"
        onClick={() => setEditing(editing === source.id ? null : source.id)}
        disabled={busy}
      >
        {editing === source.id ? 'Close' : 'Edit'}
      </button>
      <button
        type="button"
        className="button button-ghost"
        onClick={() => update.mutate({ sourceId: source.id, enabled: !source.enabled })}
        disabled={busy}
      >
        {source.enabled ? 'Disable' : 'Enable'}
      </button>
      {ROTATABLE.has(source.kind) ? (
        <ConfirmButton
          label={source.kind === 'github' ? 'New secret' : 'Rotate token'}
          confirmLabel="Replace now"
          disabled={busy}
          onConfirm={async () => {
            try {
              showIssued(await rotate.mutateAsync({ sourceId: source.id }));
            } catch {
              // Shown by the banner.
            }
          }}
        />
      ) : null}
      <ConfirmButton
        label="Delete"
        confirmLabel="Delete source"
        disabled={busy}
        onConfirm={() => remove.mutate({ sourceId: source.id })}
      />
    </>
  );

  const outcome = (source: Source) => {
    const last = tested[source.id];
    return last ? (
      <TestEventOutcome
        sourceName={source.name}
        environment={source.environment.name}
        result={last.result}
        error={last.error}
      />
    ) : null;
  };

  const editor = (source: Source) =>
    editing === source.id ? (
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
    ) : null;

  return (
    <AdminPanel
      id="sources"
      title="Cloud sources"
      action={
        canManage && !adding ? (
          <button type="button" className="button" onClick={() => setAdding(true)} data-testid="add-source">
            Add source
          </button>
        ) : null
      }
    >
      {canManage && !secretsAvailable ? (
        <p className={styles.note} style={{ borderTop: 0 }}>
          PEREGRINE_SECRET_KEY is not set: GitHub, Okta and CloudTrail credentials cannot be stored until the
          console and the collector share one.
        </p>
      ) : null}
      <ErrorBanner error={create.error ?? update.error ?? rotate.error ?? remove.error} />
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
      <AdminTable
        testId="sources-table"
        rows={sources.data}
        // While the add form is open it says what to do; the empty note would repeat it.
        empty={
          adding
            ? null
            : 'No cloud sources yet: Kubernetes audit logs, GitHub, Okta, CloudTrail or an existing Falco fleet.'
        }
        rowKey={(source) => source.id}
        rowTestId={(source) => `source-${source.name}`}
        columns={columnsFor(canManage ? testButton : undefined)}
        actions={canManage ? actions : undefined}
        detail={(source) => editor(source) ?? outcome(source)}
      />
    </AdminPanel>
  );
}
