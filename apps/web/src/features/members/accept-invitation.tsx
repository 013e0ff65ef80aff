'use client';

import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { FormField } from '@/features/auth/form-field';
import { BrandMark } from '@/features/shell/icons';
import { authClient } from '@/lib/auth-client';
import { ORGANIZATION_COOKIE, setPreferenceCookie } from '@/lib/preferences';
import { MIN_PASSWORD_LENGTH } from '@/server/auth/password-policy';
import { acceptInvitationWithSignUpInput } from '@/server/routers/members/accept-invitation-with-sign-up.schema';
import { errorData, useTRPC } from '@/trpc/client';
import { errorMessage } from '@/features/admin/admin-ui';
import type { RouterOutputs } from './router-types';
import { withBasePath } from '@/lib/base-path';

type Preview = RouterOutputs['members']['getInvitation'];
type FieldErrors = Partial<Record<'name' | 'password' | 'confirmPassword', string>>;

/** Into the organisation just joined, with a full navigation so the shell renders its membership. */
function enter(organizationId: string) {
  setPreferenceCookie(ORGANIZATION_COOKIE, organizationId);
  window.location.assign(withBasePath('/'));
}

/**
 * The invitation link's page: a new invitee creates their account, an existing one signs in,
 * and either joins with the invitation's role.
 */
export function AcceptInvitation({
  token,
  invitation,
  signedInAs,
}: {
  token: string;
  invitation: Preview;
  signedInAs: { name: string; email: string } | null;
}) {
  const trpc = useTRPC();
  const accept = useMutation(trpc.members.acceptInvitation.mutationOptions());
  const signUp = useMutation(trpc.members.acceptInvitationWithSignUp.mutationOptions());
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const matches = signedInAs?.email.toLowerCase() === invitation.email.toLowerCase();

  const join = async () => {
    setFormError(null);
    setBusy(true);
    try {
      enter((await accept.mutateAsync({ token })).organizationId);
    } catch (error) {
      setFormError(errorMessage(error));
      setBusy(false);
    }
  };

  const onSignIn = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setFormError(null);
    setBusy(true);
    const password = String(new FormData(event.currentTarget).get('password') ?? '');
    const result = await authClient.signIn.email({ email: invitation.email, password });
    if (result.error) {
      setFormError(
        result.error.status === 429 ? 'Too many attempts. Wait a minute.' : 'The password is incorrect.',
      );
      setBusy(false);
      return;
    }
    await join();
  };

  const onSignUp = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setFormError(null);
    const form = new FormData(event.currentTarget);
    const values = {
      token,
      name: String(form.get('name') ?? ''),
      password: String(form.get('password') ?? ''),
      confirmPassword: String(form.get('confirmPassword') ?? ''),
    };
    const parsed = acceptInvitationWithSignUpInput.safeParse(values);
    if (!parsed.success) {
      const errors: FieldErrors = {};
      for (const issue of parsed.error.issues) errors[issue.path[0] as keyof FieldErrors] ??= issue.message;
      setFieldErrors(errors);
      return;
    }
    setFieldErrors({});
    setBusy(true);
    try {
      const joined = await signUp.mutateAsync(parsed.data);
      // Sign-up normally leaves a session cookie; if it did not stick, sign in now.
      if (!(await authClient.getSession()).data) {
        await authClient.signIn.email({ email: invitation.email, password: parsed.data.password });
      }
      enter(joined.organizationId);
    } catch (error) {
      const data = errorData(error);
      if (data?.issues?.length) {
        const errors: FieldErrors = {};
        for (const issue of data.issues) errors[issue.path as keyof FieldErrors] ??= issue.message;
        setFieldErrors(errors);
      } else setFormError(errorMessage(error));
      setBusy(false);
    }
  };

  const pending = invitation.status === 'pending';
  return (
    <div className="auth-card auth-card-wide" data-testid="invitation-card">
      <div className="auth-header">
        <span className="brand">
          <BrandMark className="brand-mark" />
          Peregrine
        </span>
        <h1>Join {invitation.organizationName}</h1>
        <p>
          {pending ? (
            <>
              <strong>{invitation.email}</strong> is invited as{' '}
              <span className="badge badge-accent">{invitation.role}</span>
            </>
          ) : (
            <>
              This invitation is {invitation.status}. Ask an admin of {invitation.organizationName} for a new
              link.
            </>
          )}
        </p>
      </div>
      {formError ? (
        <div className="alert-banner" role="alert">
          {formError}
        </div>
      ) : null}
      {!pending ? null : signedInAs ? (
        matches ? (
          <div className="auth-form">
            <p>Signed in as {signedInAs.email}.</p>
            <button
              type="button"
              className="button button-primary button-block"
              onClick={join}
              disabled={busy}
            >
              {busy ? 'Joining…' : `Join as ${invitation.role}`}
            </button>
          </div>
        ) : (
          <div className="auth-form">
            <p>
              You are signed in as <strong>{signedInAs.email}</strong>, but this invitation is for{' '}
              <strong>{invitation.email}</strong>.
            </p>
            <a className="button button-block" href={withBasePath('/sign-out')}>
              Sign out, then open the link again
            </a>
          </div>
        )
      ) : invitation.accountExists ? (
        <form className="auth-form" onSubmit={onSignIn} data-testid="invite-sign-in-form">
          <FormField id="email" label="Email" type="email" value={invitation.email} readOnly />
          <FormField
            id="password"
            label="Password"
            type="password"
            autoComplete="current-password"
            required
          />
          <button type="submit" className="button button-primary button-block" disabled={busy}>
            {busy ? 'Joining…' : 'Sign in and join'}
          </button>
        </form>
      ) : (
        <form className="auth-form" onSubmit={onSignUp} noValidate data-testid="invite-sign-up-form">
          <FormField id="email" label="Email" type="email" value={invitation.email} readOnly />
          <FormField id="name" label="Your name" autoComplete="name" error={fieldErrors.name} />
          <FormField
            id="password"
            label="Password"
            type="password"
            autoComplete="new-password"
            hint={`At least ${MIN_PASSWORD_LENGTH} characters`}
            error={fieldErrors.password}
          />
          <FormField
            id="confirmPassword"
            label="Confirm password"
            type="password"
            autoComplete="new-password"
            error={fieldErrors.confirmPassword}
          />
          <button type="submit" className="button button-primary button-block" disabled={busy}>
            {busy ? 'Creating your account…' : 'Create account and join'}
          </button>
        </form>
      )}
      <p className="auth-footer">
        The link works once and expires {new Date(invitation.expiresAt).toUTCString()}.
      </p>
    </div>
  );
}
