'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import {
  AdminPanel,
  AdminTable,
  InlineForm,
  ROLE_OPTIONS,
  SelectField,
  TextField,
} from '@/features/admin/admin-panel';
import { ConfirmButton, ErrorBanner, ShownOnce, TimeAgo } from '@/features/admin/admin-ui';
import type { Role } from '@/server/roles';
import { useTRPC } from '@/trpc/client';
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

  // The switcher's "Invite members" opens Settings at `#invite`: bring the form to hand.
  useEffect(() => {
    const focusInvite = () => {
      if (window.location.hash !== '#invite') return;
      const email = document.getElementById('invite-email');
      email?.scrollIntoView({ block: 'center' });
      email?.focus();
    };
    focusInvite();
    window.addEventListener('hashchange', focusInvite);
    return () => window.removeEventListener('hashchange', focusInvite);
  }, []);

  return (
    <AdminPanel id="invitations" title="Invitations" hint="Links work once and expire after 7 days">
      <InlineForm
        testId="invite-form"
        submitLabel="Create invitation"
        pendingLabel="Inviting…"
        pending={invite.isPending}
        onSubmit={async (values) => {
          const email = String(values.get('email') ?? '').trim();
          const result = await invite.mutateAsync({ email, role });
          setLink({ email: result.invitation.email, url: result.url });
        }}
      >
        <TextField
          id="invite-email"
          name="email"
          type="email"
          label="Email"
          required
          placeholder="name@company.com"
        />
        <SelectField id="invite-role" label="Role" value={role} options={ROLE_OPTIONS} onChange={setRole} />
      </InlineForm>
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
      <AdminTable
        testId="invitations-table"
        rows={invitations.data}
        empty="No invitations yet."
        rowKey={(inv) => inv.id}
        rowTestId={(inv) => `invitation-${inv.email}`}
        columns={[
          { header: 'Email', cell: (inv) => inv.email },
          { header: 'Role', cell: (inv) => <span className="badge">{inv.role}</span> },
          { header: 'Status', cell: (inv) => <span className={STATUS_CLASS[inv.status]}>{inv.status}</span> },
          { header: 'Invited by', className: 'muted', cell: (inv) => inv.invitedBy?.name ?? '—' },
          { header: 'Sent', className: 'muted', cell: (inv) => <TimeAgo iso={inv.createdAt} /> },
          {
            header: 'Expires',
            className: 'muted',
            cell: (inv) => (inv.status === 'pending' ? <TimeAgo iso={inv.expiresAt} /> : '—'),
          },
        ]}
        actions={(inv) =>
          inv.status === 'pending' ? (
            <ConfirmButton
              label="Revoke"
              confirmLabel="Revoke link"
              disabled={revoke.isPending}
              onConfirm={() => revoke.mutate({ invitationId: inv.id })}
            />
          ) : null
        }
      />
    </AdminPanel>
  );
}
