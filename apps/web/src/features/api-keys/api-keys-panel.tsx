'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import styles from '@/features/members/admin.module.css';
import { ConfirmButton, ErrorBanner, ShownOnce, TimeAgo } from '@/features/members/admin-ui';
import type { RouterOutputs } from '@/features/members/router-types';
import { ROLES, type Role } from '@/server/roles';
import { useTRPC } from '@/trpc/client';

type ApiKey = RouterOutputs['apiKeys']['list'][number];

const EXPIRY_CHOICES = [
  { value: '30', label: '30 days' },
  { value: '90', label: '90 days' },
  { value: '365', label: '1 year' },
  { value: 'never', label: 'Never' },
] as const;

/** Admins create keys for automation (shown once), see when each was last used, and revoke them. */
export function ApiKeysPanel({ initialKeys, origin }: { initialKeys: ApiKey[]; origin: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const keys = useQuery({ ...trpc.apiKeys.list.queryOptions(), initialData: initialKeys });
  const refresh = () => queryClient.invalidateQueries(trpc.apiKeys.list.queryFilter());
  const create = useMutation(trpc.apiKeys.create.mutationOptions({ onSettled: refresh }));
  const revoke = useMutation(trpc.apiKeys.revoke.mutationOptions({ onSettled: refresh }));
  const [role, setRole] = useState<Role>('viewer');
  const [expiry, setExpiry] = useState<string>('90');
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const name = String(new FormData(form).get('name') ?? '');
    try {
      const result = await create.mutateAsync({
        name,
        role,
        expiresInDays: expiry === 'never' ? null : Number(expiry),
      });
      setCreated({ name: result.apiKey.name, key: result.key });
      form.reset();
    } catch {
      // Shown by the banner.
    }
  };

  return (
    <section className="panel" aria-labelledby="keys-heading">
      <div className="panel-header">
        <h2 id="keys-heading">API keys</h2>
        <span className="field-hint">A key acts in this organisation with its own role</span>
      </div>
      <form className={styles.inlineForm} onSubmit={onSubmit} data-testid="api-key-form">
        <div className={`field ${styles.grow}`}>
          <label className="field-label" htmlFor="key-name">
            Name
          </label>
          <input
            id="key-name"
            name="name"
            className="input"
            required
            maxLength={120}
            placeholder="CI rule deploys"
          />
        </div>
        <div className={`field ${styles.fixed}`}>
          <label className="field-label" htmlFor="key-role">
            Role
          </label>
          <select
            id="key-role"
            className="select"
            value={role}
            onChange={(e) => setRole(e.target.value as Role)}
          >
            {[...ROLES].reverse().map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </div>
        <div className={`field ${styles.fixed}`}>
          <label className="field-label" htmlFor="key-expiry">
            Expires
          </label>
          <select
            id="key-expiry"
            className="select"
            value={expiry}
            onChange={(e) => setExpiry(e.target.value)}
          >
            {EXPIRY_CHOICES.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="button button-primary" disabled={create.isPending}>
          {create.isPending ? 'Creating…' : 'Create key'}
        </button>
      </form>
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
      {keys.data.length === 0 ? (
        <p className={styles.empty}>No API keys yet.</p>
      ) : (
        <div className={styles.tableWrap}>
          <table className="table" data-testid="api-keys-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key</th>
                <th scope="col">Role</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.data.map((key) => (
                <tr key={key.id} className={key.revokedAt ? styles.muted : undefined}>
                  <td>{key.name}</td>
                  <td className={styles.mono}>{key.prefix}…</td>
                  <td>
                    <span className="badge">{key.role}</span>
                  </td>
                  <td className="muted">
                    <TimeAgo iso={key.createdAt} />
                    {key.createdBy ? ` by ${key.createdBy.name}` : ''}
                    {key.parentKey ? ` by key ${key.parentKey.name}` : ''}
                  </td>
                  <td className="muted">
                    <TimeAgo iso={key.lastUsedAt} />
                  </td>
                  <td className="muted">
                    {key.revokedAt ? (
                      <span className={styles.danger}>revoked</span>
                    ) : (
                      <TimeAgo iso={key.expiresAt} never="never" />
                    )}
                  </td>
                  <td>
                    <div className={styles.rowActions}>
                      {key.revokedAt ? null : (
                        <ConfirmButton
                          label="Revoke"
                          confirmLabel="Revoke key"
                          disabled={revoke.isPending}
                          onConfirm={() => revoke.mutate({ apiKeyId: key.id })}
                        />
                      )}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
