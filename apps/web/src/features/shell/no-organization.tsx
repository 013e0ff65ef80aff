'use client';

import { useState } from 'react';
import { NewOrganizationDialog } from '@/features/organizations/organization-switcher';
import { ORGANIZATION_COOKIE, setPreferenceCookie } from '@/lib/preferences';
import { withBasePath } from '@/lib/base-path';

/**
 * Shown to a signed-in user with no usable organisation. `canCreate`: this instance lets anyone
 * signed in create organisations (PEREGRINE_ORG_CREATION=anyone).
 */
export function NoOrganization({
  canResetChoice,
  canCreate,
}: {
  canResetChoice: boolean;
  canCreate: boolean;
}) {
  const [creating, setCreating] = useState(false);
  return (
    <main className="auth-page">
      <div className="auth-card">
        <div className="auth-header">
          <h1>No organisation</h1>
          <p>
            {canResetChoice
              ? 'You are no longer a member of the organisation you last used.'
              : 'Your account is not a member of any organisation. Ask an administrator to invite you.'}
          </p>
        </div>
        <div className="auth-form">
          {canResetChoice ? (
            <button
              type="button"
              className="button button-primary button-block"
              onClick={() => {
                setPreferenceCookie(ORGANIZATION_COOKIE, null);
                window.location.assign(withBasePath('/'));
              }}
            >
              Open my other organisation
            </button>
          ) : null}
          {canCreate && !canResetChoice ? (
            <button
              type="button"
              className="button button-primary button-block"
              data-testid="new-organization"
              onClick={() => setCreating(true)}
            >
              Create an organisation
            </button>
          ) : null}
          {creating ? <NewOrganizationDialog onClose={() => setCreating(false)} /> : null}
          <a className="button button-block" href={withBasePath('/sign-out')}>
            Sign out
          </a>
        </div>
      </div>
    </main>
  );
}
