'use client';

import { useMutation } from '@tanstack/react-query';
import { useId, useState } from 'react';
import styles from '@/features/admin/admin.module.css';
import { ErrorBanner } from '@/features/admin/admin-ui';
import { Dialog, DialogFooter } from '@/features/shell/dialog';
import { ORGANIZATION_COOKIE, setPreferenceCookie } from '@/lib/preferences';
import { useTRPC } from '@/trpc/client';
import { withBasePath } from '@/lib/base-path';

/**
 * Settings' danger zone for admins: deletes the organisation with all its data once its name is
 * typed. Afterwards the console acts in the user's next organisation, or offers to create one.
 */
export function DeleteOrganizationPanel({ organization }: { organization: { id: string; name: string } }) {
  const [open, setOpen] = useState(false);
  return (
    <section
      className="panel"
      aria-labelledby="delete-organization-heading"
      data-testid="delete-organization"
    >
      <div className="panel-header">
        <h2 id="delete-organization-heading">Delete organisation</h2>
      </div>
      <div className="leave-organization">
        <p className="muted" style={{ margin: 0 }}>
          Deletes {organization.name} and everything in it: environments, rules and their versions, alerts,
          raw events, sources, sensors and their keys, notifications, members, invitations, API keys and its
          audit log. Sensors and sources stop being accepted at once. This cannot be undone.
        </p>
        <button
          type="button"
          className={`button ${styles.dangerButton}`}
          data-testid="delete-organization-open"
          onClick={() => setOpen(true)}
        >
          Delete organisation…
        </button>
      </div>
      {open ? <DeleteOrganizationDialog organization={organization} onClose={() => setOpen(false)} /> : null}
    </section>
  );
}

function DeleteOrganizationDialog({
  organization,
  onClose,
}: {
  organization: { id: string; name: string };
  onClose: () => void;
}) {
  const trpc = useTRPC();
  const remove = useMutation(
    trpc.organization.delete.mutationOptions({
      onSuccess: () => {
        // The deleted organisation's cookie would name nothing: start from the user's first one.
        setPreferenceCookie(ORGANIZATION_COOKIE, null);
        window.location.assign(withBasePath('/'));
      },
    }),
  );
  const [typed, setTyped] = useState('');
  const inputId = useId();
  const matches = typed === organization.name;
  return (
    <Dialog
      title={`Delete ${organization.name}?`}
      subtitle="All of its data goes, for every member. Type the organisation's name to confirm."
      onClose={onClose}
      testId="delete-organization-dialog"
    >
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (matches) remove.mutate({ organizationId: organization.id, confirmName: typed });
        }}
      >
        <div className="field">
          <label className="field-label" htmlFor={inputId}>
            Organisation name
          </label>
          <input
            id={inputId}
            className="input"
            value={typed}
            autoComplete="off"
            placeholder={organization.name}
            autoFocus
            onChange={(event) => setTyped(event.target.value)}
          />
        </div>
        <ErrorBanner error={remove.error} />
        <DialogFooter>
          <button type="button" className="button button-ghost" onClick={onClose}>
            Cancel
          </button>
          <button
            type="submit"
            className={`button ${styles.dangerButton}`}
            disabled={!matches || remove.isPending || remove.isSuccess}
          >
            {remove.isPending || remove.isSuccess ? 'Deleting…' : 'Delete for good'}
          </button>
        </DialogFooter>
      </form>
    </Dialog>
  );
}
