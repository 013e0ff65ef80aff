'use client';

import { useMutation } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { ConfirmButton, ErrorBanner } from '@/features/admin/admin-ui';
import { Dialog, DialogFooter } from '@/features/shell/dialog';
import { ORGANIZATION_COOKIE, setPreferenceCookie } from '@/lib/preferences';
import { useTRPC } from '@/trpc/client';
import { withBasePath } from '@/lib/base-path';

export interface SwitcherOrganization {
  id: string;
  name: string;
  role: string;
}

/** Acts in `organizationId` from now on: everything on screen belongs to the old one, so start afresh. */
function actIn(organizationId: string | null): void {
  setPreferenceCookie(ORGANIZATION_COOKIE, organizationId);
  window.location.assign(withBasePath('/'));
}

/**
 * The sidebar's organisation block: the organisation the console acts in, a switcher over the
 * user's memberships, "New organisation" and, for admins, "Invite members". The choice is a cookie (re-checked on every request),
 * so a link opens in whichever organisation the browser last chose.
 */
export function OrganizationSwitcher({
  current,
  role,
  organizations,
}: {
  current: { id: string; name: string };
  role: string;
  organizations: SwitcherOrganization[];
}) {
  const [creating, setCreating] = useState(false);
  const selectId = useId();
  return (
    <div className="sidebar-org">
      {organizations.length > 1 ? (
        <>
          <label className="visually-hidden" htmlFor={selectId}>
            Organisation
          </label>
          <select
            id={selectId}
            className="select sidebar-org-select"
            data-testid="organization-switcher"
            value={current.id}
            onChange={(event) => actIn(event.target.value)}
          >
            {organizations.map((org) => (
              <option key={org.id} value={org.id}>
                {org.name}
              </option>
            ))}
          </select>
        </>
      ) : (
        <span className="sidebar-org-name" title={current.name}>
          {current.name}
        </span>
      )}
      <span className="sidebar-org-role">{role}</span>
      <button
        type="button"
        className="sidebar-org-new"
        data-testid="new-organization"
        onClick={() => setCreating(true)}
      >
        + New organisation
      </button>
      {role === 'admin' ? (
        // The invitation form in Settings, focused (InvitationsPanel answers the `#invite` hash). A
        // plain link: the browser's own hash navigation fires `hashchange` when already in Settings,
        // which the client router's does not.
        <a
          className="sidebar-org-new"
          href={withBasePath('/settings#invite')}
          data-testid="invite-from-switcher"
        >
          + Invite members
        </a>
      ) : null}
      {creating ? <NewOrganizationDialog onClose={() => setCreating(false)} /> : null}
    </div>
  );
}

/** Names a new organisation; the creator becomes its admin and the console switches to it. */
export function NewOrganizationDialog({ onClose }: { onClose: () => void }) {
  const trpc = useTRPC();
  const create = useMutation(trpc.organization.create.mutationOptions());
  const [name, setName] = useState('');
  const inputId = useId();
  return (
    <Dialog
      title="New organisation"
      subtitle="You become its admin. It starts with staging and production, the default rules active in both."
      onClose={onClose}
      testId="new-organization-dialog"
    >
      <form
        onSubmit={async (event) => {
          event.preventDefault();
          const created = await create.mutateAsync({ name }).catch(() => null);
          if (created) actIn(created.id);
        }}
      >
        <div className="field">
          <label className="field-label" htmlFor={inputId}>
            Organisation name
          </label>
          <input
            id={inputId}
            className="input"
            value={name}
            maxLength={120}
            required
            autoFocus
            onChange={(event) => {
              setName(event.target.value);
              // An earlier refusal no longer describes what is typed.
              if (create.isError) create.reset();
            }}
          />
        </div>
        <ErrorBanner error={create.error} />
        <DialogFooter>
          <button type="button" className="button button-ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={create.isPending}>
            {create.isPending || create.isSuccess ? 'Creating…' : 'Create organisation'}
          </button>
        </DialogFooter>
      </form>
    </Dialog>
  );
}

/** Leaves the organisation the console acts in, then falls back to the user's first one. */
export function LeaveOrganizationButton({ organizationId }: { organizationId: string }) {
  const trpc = useTRPC();
  const leave = useMutation(trpc.organization.leave.mutationOptions({ onSuccess: () => actIn(null) }));
  return (
    <div className="leave-organization">
      <ConfirmButton
        label="Leave organisation"
        confirmLabel={leave.isPending ? 'Leaving…' : 'Leave for good'}
        disabled={leave.isPending || leave.isSuccess}
        onConfirm={() => leave.mutate({ organizationId })}
      />
      <ErrorBanner error={leave.error} />
    </div>
  );
}
