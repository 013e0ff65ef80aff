'use client';

import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { BrandMark } from '@/features/shell/icons';
import { authClient } from '@/lib/auth-client';
import { MIN_PASSWORD_LENGTH } from '@/server/auth/password-policy';
import { createFirstAdminInput } from '@/server/routers/setup/create-first-admin.schema';
import { errorData, useTRPC } from '@/trpc/client';
import { FormField } from './form-field';
import { withBasePath } from '@/lib/base-path';

type FieldErrors = Partial<
  Record<'name' | 'email' | 'password' | 'confirmPassword' | 'organizationName' | 'setupToken', string>
>;

/**
 * First-run form: the first admin and their organisation, in one step, opened by the one-time
 * setup token from the start log (prefilled from the link's `?token=`).
 */
export function SetupForm({ token }: { token: string }) {
  const trpc = useTRPC();
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [finishing, setFinishing] = useState(false);
  const create = useMutation(trpc.setup.createFirstAdmin.mutationOptions());

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setFormError(null);
    const form = new FormData(event.currentTarget);
    const values = Object.fromEntries(
      ['name', 'email', 'password', 'confirmPassword', 'organizationName', 'setupToken'].map((k) => [
        k,
        String(form.get(k) ?? ''),
      ]),
    );
    const parsed = createFirstAdminInput.safeParse(values);
    if (!parsed.success) {
      const errors: FieldErrors = {};
      for (const issue of parsed.error.issues) {
        const key = issue.path[0] as keyof FieldErrors;
        errors[key] ??= issue.message;
      }
      setFieldErrors(errors);
      return;
    }
    setFieldErrors({});
    try {
      await create.mutateAsync(parsed.data);
    } catch (error) {
      const data = errorData(error);
      if (data?.appCode === 'SETUP_CLOSED') {
        window.location.assign(withBasePath('/sign-in'));
        return;
      }
      if (data?.appCode === 'INVALID_SETUP_TOKEN') {
        setFieldErrors({ setupToken: error instanceof Error ? error.message : 'Wrong setup token.' });
        return;
      }
      if (data?.issues?.length) {
        const errors: FieldErrors = {};
        for (const issue of data.issues) errors[issue.path as keyof FieldErrors] ??= issue.message;
        setFieldErrors(errors);
        return;
      }
      setFormError(error instanceof Error ? error.message : 'Setup failed. Try again.');
      return;
    }
    setFinishing(true);
    // Setup normally signs the new admin in; if the session cookie did not stick, sign in now.
    const session = await authClient.getSession();
    if (!session.data)
      await authClient.signIn.email({ email: parsed.data.email, password: parsed.data.password });
    window.location.assign(withBasePath('/'));
  };

  const busy = create.isPending || finishing;
  return (
    <div className="auth-card auth-card-wide">
      <div className="auth-header">
        <span className="brand">
          <BrandMark className="brand-mark" />
          Peregrine
        </span>
        <h1>Set up Peregrine</h1>
        <p>
          Create the first administrator and your organisation. Staging and production environments are
          created for you.
        </p>
      </div>
      <form className="auth-form" onSubmit={onSubmit} noValidate data-testid="setup-form">
        {formError ? (
          <div className="alert-banner" role="alert">
            {formError}
          </div>
        ) : null}
        <fieldset disabled={busy}>
          <legend>Setup token</legend>
          <FormField
            id="setupToken"
            label="Setup token"
            autoComplete="off"
            spellCheck={false}
            required
            defaultValue={token}
            hint="Printed in the start log as a link to this page: only whoever can read that log can set Peregrine up."
            error={fieldErrors.setupToken}
          />
        </fieldset>
        <fieldset disabled={busy}>
          <legend>Administrator</legend>
          <FormField id="name" label="Your name" autoComplete="name" required error={fieldErrors.name} />
          <FormField
            id="email"
            label="Email"
            type="email"
            autoComplete="email"
            required
            error={fieldErrors.email}
          />
          <FormField
            id="password"
            label="Password"
            type="password"
            autoComplete="new-password"
            required
            minLength={MIN_PASSWORD_LENGTH}
            hint={`At least ${MIN_PASSWORD_LENGTH} characters.`}
            error={fieldErrors.password}
          />
          <FormField
            id="confirmPassword"
            label="Confirm password"
            type="password"
            autoComplete="new-password"
            required
            error={fieldErrors.confirmPassword}
          />
        </fieldset>
        <fieldset disabled={busy}>
          <legend>Organisation</legend>
          <FormField
            id="organizationName"
            label="Organisation name"
            autoComplete="organization"
            required
            error={fieldErrors.organizationName}
          />
        </fieldset>
        <button type="submit" className="button button-primary button-block" disabled={busy}>
          {busy ? 'Creating…' : 'Create administrator'}
        </button>
      </form>
      <p className="auth-footer">This page closes for good once the first administrator exists.</p>
    </div>
  );
}
