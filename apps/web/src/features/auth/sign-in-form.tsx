'use client';

import { type FormEvent, useState } from 'react';
import { BrandMark } from '@/features/shell/icons';
import { authClient } from '@/lib/auth-client';
import { FormField } from './form-field';

function signInErrorMessage(status: number, retryAfter: string | null): string {
  if (status === 429) {
    return retryAfter
      ? `Too many sign-in attempts. Try again in ${retryAfter} seconds.`
      : 'Too many sign-in attempts. Wait a minute and try again.';
  }
  if (status === 401 || status === 400) return 'The email or password is incorrect.';
  return 'Sign-in failed. Try again.';
}

/** Email and password sign-in. */
export function SignInForm({ signedOut, next }: { signedOut: boolean; next: string }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    let retryAfter: string | null = null;
    const result = await authClient.signIn.email(
      { email: String(form.get('email') ?? ''), password: String(form.get('password') ?? '') },
      {
        onError: (context) => {
          retryAfter = context.response.headers.get('x-retry-after');
        },
      },
    );
    if (result.error) {
      setError(signInErrorMessage(result.error.status, retryAfter));
      setBusy(false);
      return;
    }
    // A full navigation so every server component renders with the new session. `next` was
    // checked on the server to be a console path (see safeNextPath).
    window.location.assign(next);
  };

  return (
    <div className="auth-card">
      <div className="auth-header">
        <span className="brand">
          <BrandMark className="brand-mark" />
          Peregrine
        </span>
        <h1>Sign in</h1>
        <p>{signedOut ? 'You have been signed out.' : 'Sign in to the detection console.'}</p>
      </div>
      <form className="auth-form" onSubmit={onSubmit} data-testid="sign-in-form">
        {error ? (
          <div className="alert-banner" role="alert">
            {error}
          </div>
        ) : null}
        <FormField id="email" label="Email" type="email" autoComplete="username" required disabled={busy} />
        <FormField
          id="password"
          label="Password"
          type="password"
          autoComplete="current-password"
          required
          disabled={busy}
        />
        <button type="submit" className="button button-primary button-block" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p className="auth-footer">Accounts are created by your organisation's administrators.</p>
    </div>
  );
}
