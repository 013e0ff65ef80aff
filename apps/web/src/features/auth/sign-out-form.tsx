'use client';

import { useState } from 'react';
import { BrandMark } from '@/features/shell/icons';
import { authClient } from '@/lib/auth-client';
import { withBasePath } from '@/lib/base-path';

/** Confirms and ends the current session. */
export function SignOutForm({ email }: { email: string }) {
  const [busy, setBusy] = useState(false);
  return (
    <div className="auth-card">
      <div className="auth-header">
        <span className="brand">
          <BrandMark className="brand-mark" />
          Peregrine
        </span>
        <h1>Sign out</h1>
        <p>You are signed in as {email}.</p>
      </div>
      <div className="auth-form">
        <button
          type="button"
          className="button button-primary button-block"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            await authClient.signOut();
            window.location.assign(withBasePath('/sign-in?signedOut=1'));
          }}
        >
          {busy ? 'Signing out…' : 'Sign out'}
        </button>
        <a className="button button-block" href={withBasePath('/')}>
          Back to the console
        </a>
      </div>
    </div>
  );
}
