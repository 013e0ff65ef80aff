'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import {
  AdminPanel,
  AdminTable,
  InlineForm,
  ROLE_OPTIONS,
  SelectField,
  TextField,
} from '@/features/admin/admin-panel';
import styles from '@/features/admin/admin.module.css';
import { ConfirmButton, ErrorBanner, ShownOnce, TimeAgo } from '@/features/admin/admin-ui';
import type { RouterOutputs } from '@/features/members/router-types';
import type { Role } from '@/server/roles';
import { useTRPC } from '@/trpc/client';

type ApiKey = RouterOutputs['apiKeys']['list'][number];

const EXPIRY_CHOICES = [
  { value: '30', label: '30 days' },
  { value: '90', label: '90 days' },
  { value: '365', label: '1 year' },
  { value: 'never', label: 'Never' },
] as const;
type Expiry = (typeof EXPIRY_CHOICES)[number]['value'];

/** Admins create keys for automation (shown once), see when each was last used, and revoke them. */
export function ApiKeysPanel({ initialKeys, origin }: { initialKeys: ApiKey[]; origin: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const keys = useQuery({ ...trpc.apiKeys.list.queryOptions(), initialData: initialKeys });
  const refresh = () => queryClient.invalidateQueries(trpc.apiKeys.list.queryFilter());
  const create = useMutation(trpc.apiKeys.create.mutationOptions({ onSettled: refresh }));
  const revoke = useMutation(trpc.apiKeys.revoke.mutationOptions({ onSettled: refresh }));
  const [role, setRole] = useState<Role>('viewer');
  const [expiry, setExpiry] = useState<Expiry>('90');
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);

  return (
    <AdminPanel id="keys" title="API keys" hint="A key acts in this organisation with its own role">
      <InlineForm
        testId="api-key-form"
        submitLabel="Create key"
        pendingLabel="Creating…"
        pending={create.isPending}
        onSubmit={async (values) => {
          const result = await create.mutateAsync({
            name: String(values.get('name') ?? ''),
            role,
            expiresInDays: expiry === 'never' ? null : Number(expiry),
          });
          setCreated({ name: result.apiKey.name, key: result.key });
        }}
      >
        <TextField
          id="key-name"
          name="name"
          label="Name"
          required
          maxLength={120}
          placeholder="CI rule deploys"
        />
        <SelectField id="key-role" label="Role" value={role} options={ROLE_OPTIONS} onChange={setRole} />
        <SelectField
          id="key-expiry"
          label="Expires"
          value={expiry}
          options={EXPIRY_CHOICES}
          onChange={setExpiry}
        />
      </InlineForm>
      <ErrorBanner error={create.error ?? revoke.error} />
      {created ? (
        <ShownOnce
          testId="api-key-secret"
          title={`API key “${created.name}”`}
          value={created.key}
          hint={
            <>
              Copy it now: it is stored only as a SHA-256 hash and cannot be shown again. Use it as{' '}
              <code>curl -H &quot;Authorization: Bearer $KEY&quot; {origin}/api/trpc/sensors.list</code>
            </>
          }
          onDismiss={() => setCreated(null)}
        />
      ) : null}
      <AdminTable
        testId="api-keys-table"
        rows={keys.data}
        empty="No API keys yet."
        rowKey={(key) => key.id}
        rowClassName={(key) => (key.revokedAt ? styles.muted : undefined)}
        columns={[
          { header: 'Name', cell: (key) => key.name },
          { header: 'Key', className: styles.mono, cell: (key) => `${key.prefix}…` },
          { header: 'Role', cell: (key) => <span className="badge">{key.role}</span> },
          {
            header: 'Created',
            className: 'muted',
            cell: (key) => (
              <>
                <TimeAgo iso={key.createdAt} />
                {key.createdBy ? ` by ${key.createdBy.name}` : ''}
                {key.parentKey ? ` by key ${key.parentKey.name}` : ''}
              </>
            ),
          },
          { header: 'Last used', className: 'muted', cell: (key) => <TimeAgo iso={key.lastUsedAt} /> },
          {
            header: 'Expires',
            className: 'muted',
            cell: (key) =>
              key.revokedAt ? (
                <span className={styles.danger}>revoked</span>
              ) : (
                <TimeAgo iso={key.expiresAt} never="never" />
              ),
          },
        ]}
        actions={(key) =>
          key.revokedAt ? null : (
            <ConfirmButton
              label="Revoke"
              confirmLabel="Revoke key"
              disabled={revoke.isPending}
              onConfirm={() => revoke.mutate({ apiKeyId: key.id })}
            />
          )
        }
      />
    </AdminPanel>
  );
}
