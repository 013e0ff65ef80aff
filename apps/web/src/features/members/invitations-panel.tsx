'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { ROLES, type Role } from '@/server/roles';
import { useTRPC } from '@/trpc/client';
import styles from './admin.module.css';
import { ConfirmButton, ErrorBanner, ShownOnce, TimeAgo } from './admin-ui';
import type { RouterOutputs } from './router-types';

type Invitation = RouterOutputs['members']['listInvitations'][number];

const STATUS_CLASS: Record<Invitation['status'], string> = {
  pending: 'badge badge-accent',
  accepted: 'badge',
  revoked: 'badge',
  expired: 'badge',
};

/** Admins invite people by email with a role; the one-time link is shown once. */
export function InvitationsPanel({ initialInvitations }: { initialInvitations: Invitation[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const invitations = useQuery({
    ...trpc.members.listInvitations.queryOptions(),
    initialData: initialInvitations,
  });
  const refresh = () => queryClient.invalidateQueries(trpc.members.listInvitations.queryFilter());
  const invite = useMutation(trpc.members.invite.mutationOptions({ onSettled: refresh }));
  const revoke = useMutation(trpc.members.revokeInvitation.mutationOptions({ onSettled: refresh }));
  const [link, setLink] = useState<{ email: string; url: string } | null>(null);
  const [role, setRole] = useState<Role>('viewer');

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const email = String(new FormData(form).get('email') ?? '').trim();
    try {
      const result = await invite.mutateAsync({ email, role });
      setLink({ email: result.invitation.email, url: result.url });
      form.reset();
    } catch {
      // Shown by the banner.
    }
  };

  return (
    <section className="panel" aria-labelledby="invitations-heading">
      <div className="panel-header">
        <h2 id="invitations-heading">Invitations</h2>
        <span className="field-hint">Links work once and expire after 7 days</span>
      </div>
      <form className={styles.inlineForm} onSubmit={onSubmit} data-testid="invite-form">
        <div className={`field ${styles.grow}`}>
          <label className="field-label" htmlFor="invite-email">
            Email
          </label>
          <input
            id="invite-email"
            name="email"
            type="email"
            className="input"
            required
            placeholder="name@company.com"
          />
        </div>
        <div className={`field ${styles.fixed}`}>
          <label className="field-label" htmlFor="invite-role">
            Role
          </label>
          <select
            id="invite-role"
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
        <button type="submit" className="button button-primary" disabled={invite.isPending}>
          {invite.isPending ? 'Inviting…' : 'Create invitation'}
        </button>
      </form>
      <ErrorBanner error={invite.error ?? revoke.error} />
      {link ? (
        <ShownOnce
          testId="invitation-link"
          title={`Invitation link for ${link.email}`}
          value={link.url}
          hint="Send this link to them. It is shown only now: Peregrine keeps just a hash of it."
          onDismiss={() => setLink(null)}
        />
      ) : null}
      {invitations.data.length === 0 ? (
        <p className={styles.empty}>No invitations yet.</p>
      ) : (
        <div className={styles.tableWrap}>
          <table className="table" data-testid="invitations-table">
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col">Invited by</th>
                <th scope="col">Sent</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {invitations.data.map((inv) => (
                <tr key={inv.id} data-testid={`invitation-${inv.email}`}>
                  <td>{inv.email}</td>
                  <td>
                    <span className="badge">{inv.role}</span>
                  </td>
                  <td>
                    <span className={STATUS_CLASS[inv.status]}>{inv.status}</span>
                  </td>
                  <td className="muted">{inv.invitedBy?.name ?? '—'}</td>
                  <td className="muted">
                    <TimeAgo iso={inv.createdAt} />
                  </td>
                  <td className="muted">
                    {inv.status === 'pending' ? <TimeAgo iso={inv.expiresAt} /> : '—'}
                  </td>
                  <td>
                    <div className={styles.rowActions}>
                      {inv.status === 'pending' ? (
                        <ConfirmButton
                          label="Revoke"
                          confirmLabel="Revoke link"
                          disabled={revoke.isPending}
                          onConfirm={() => revoke.mutate({ invitationId: inv.id })}
                        />
                      ) : null}
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
