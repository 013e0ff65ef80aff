'use client';

import { type FormEvent, useState } from 'react';
import { BrandMark } from '@/features/shell/icons';
import { authClient } from '@/lib/auth-client';
import { FormField } from './form-field';
import { withBasePath } from '@/lib/base-path';

function signInErrorMessage(status: number, retryAfter: string | null): string {
  if (status === 429) {
    return retryAfter
      ? `Too many sign-in attempts. Try again in ${retryAfter} seconds.`
      : 'Too many sign-in attempts. Wait a minute and try again.';
  }
  if (status === 401 || status === 400) return 'The email or password is incorrect.';
  return 'Sign-in failed. Try again.';
}

/**
 * Starts single sign-on for `email`: the console finds the organisation by the email's domain
 * and answers the identity provider's authorization URL, where the browser goes next.
 */
async function startSso(email: string, next: string): Promise<{ url: string } | { error: string }> {
  const response = await fetch(withBasePath('/api/auth/sso/start'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, next }),
  });
  const body = (await response.json().catch(() => ({}))) as { url?: string; message?: string };
  if (response.ok && body.url) return { url: body.url };
  if (response.status === 429) return { error: 'Too many sign-in attempts. Wait a minute and try again.' };
  return { error: body.message ?? 'Single sign-on could not start. Try again.' };
}

/** Email and password sign-in, or single sign-on found by the email's domain. */
export function SignInForm({
  signedOut,
  next,
  ssoError,
}: {
  signedOut: boolean;
  next: string;
  /** Why the last SSO sign-in was refused (the callback's `sso_error`). */
  ssoError?: string | null;
}) {
  const [mode, setMode] = useState<'password' | 'sso'>(ssoError ? 'sso' : 'password');
  const [error, setError] = useState<string | null>(ssoError ?? null);
  const [busy, setBusy] = useState(false);
  const [email, setEmail] = useState('');

  const onPassword = async (event: FormEvent<HTMLFormElement>) => {
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
      if (result.error.code === 'SSO_REQUIRED') {
        // The organisation requires SSO for this domain: offer it with the email filled in.
        setEmail(String(form.get('email') ?? ''));
        setMode('sso');
        setError(result.error.message ?? 'Sign in with single sign-on.');
      } else {
        setError(signInErrorMessage(result.error.status, retryAfter));
      }
      setBusy(false);
      return;
    }
    // A full navigation so every server component renders with the new session. `next` was
    // checked on the server to be a console path (see safeNextPath).
    window.location.assign(withBasePath(next));
  };

  const onSso = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const started = await startSso(email.trim(), next);
    if ('error' in started) {
      setError(started.error);
      setBusy(false);
      return;
    }
    window.location.assign(started.url);
  };

  const banner = error ? (
    <div className="alert-banner" role="alert">
      {error}
    </div>
  ) : null;

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
      {mode === 'password' ? (
        <form className="auth-form" onSubmit={onPassword} data-testid="sign-in-form">
          {banner}
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
          <button
            type="button"
            className="button button-ghost button-block"
            onClick={() => {
              setError(null);
              setMode('sso');
            }}
          >
            Sign in with SSO
          </button>
        </form>
      ) : (
        <form className="auth-form" onSubmit={onSso} data-testid="sso-sign-in-form">
          {banner}
          <FormField
            id="sso-email"
            label="Work email"
            type="email"
            autoComplete="username"
            hint="Your organisation's identity provider is found from your email's domain."
            required
            disabled={busy}
            value={email}
            onChange={(event) => setEmail(event.target.value)}
          />
          <button type="submit" className="button button-primary button-block" disabled={busy}>
            {busy ? 'Redirecting…' : 'Continue with SSO'}
          </button>
          <button
            type="button"
            className="button button-ghost button-block"
            onClick={() => {
              setError(null);
              setMode('password');
            }}
          >
            Sign in with a password
          </button>
        </form>
      )}
      <p className="auth-footer">
        Accounts are created by your organisation's administrators or its single sign-on.
      </p>
    </div>
  );
}
