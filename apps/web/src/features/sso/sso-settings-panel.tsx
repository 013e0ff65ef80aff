'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { AdminPanel } from '@/features/admin/admin-panel';
import { ConfirmButton, ErrorBanner } from '@/features/admin/admin-ui';
import type { RouterOutputs } from '@/features/members/router-types';
import { Check, Field, list, SecretField, str, TextArea } from '@/features/notifications/form-fields';
import { ROLES, type Role } from '@/server/roles';
import { useTRPC } from '@/trpc/client';

type SsoState = RouterOutputs['sso']['get'];

/** A form row across both columns. */
const WIDE = { gridColumn: '1 / -1' } as const;

/** `group = role` lines -> mappings; a line with an unknown role is an error naming it. */
export function parseRoleMappings(text: string): { group: string; role: Role }[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const at = line.lastIndexOf('=');
      const group = line.slice(0, at).trim();
      const role = line
        .slice(at + 1)
        .trim()
        .toLowerCase();
      if (at < 0 || !group || !(ROLES as readonly string[]).includes(role)) {
        throw new Error(
          `"${line}": write each mapping as "group = role" with a role of ${ROLES.join(', ')}.`,
        );
      }
      return { group, role: role as Role };
    });
}

/**
 * Admins connect the organisation to an OpenID Connect identity provider: issuer, client, the
 * email domains it serves, the group -> role mapping, and whether passwords are refused for those
 * domains. Saving runs the issuer's discovery first, so a wrong issuer is reported here.
 */
export function SsoSettingsPanel({ initial }: { initial: SsoState }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const state = useQuery({ ...trpc.sso.get.queryOptions(), initialData: initial });
  const refresh = () => queryClient.invalidateQueries(trpc.sso.get.queryFilter());
  const save = useMutation(trpc.sso.save.mutationOptions({ onSettled: refresh }));
  const remove = useMutation(trpc.sso.delete.mutationOptions({ onSettled: refresh }));
  const [formError, setFormError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const config = state.data.config;

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setFormError(null);
    setSaved(false);
    let roleMappings: { group: string; role: Role }[];
    try {
      roleMappings = parseRoleMappings(str(form, 'roleMappings'));
    } catch (error) {
      setFormError((error as Error).message);
      return;
    }
    const secret = str(form, 'clientSecret');
    try {
      await save.mutateAsync({
        issuer: str(form, 'issuer'),
        clientId: str(form, 'clientId'),
        ...(secret ? { clientSecret: secret } : config ? {} : { clientSecret: null }),
        groupsClaim: str(form, 'groupsClaim') || 'groups',
        roleMappings,
        domains: list(form, 'domains'),
        ssoRequired: form.get('ssoRequired') === 'on',
      });
      setSaved(true);
    } catch {
      // Shown by the ErrorBanner below.
    }
  };

  return (
    <AdminPanel
      id="sso"
      title="Single sign-on (OpenID Connect)"
      hint={config ? 'Configured' : 'Not configured'}
    >
      <div className="panel-body" style={{ display: 'grid', gap: 12 }}>
        <div className="field">
          <span className="field-label">Redirect URI to register at your identity provider</span>
          <code data-testid="sso-redirect-uri">{state.data.redirectUri}</code>
        </div>
        <form
          onSubmit={onSubmit}
          data-testid="sso-form"
          style={{
            display: 'grid',
            gap: 12,
            alignItems: 'start',
            gridTemplateColumns: 'repeat(auto-fit, minmax(320px, 1fr))',
          }}
        >
          <Field
            idPrefix="sso"
            name="issuer"
            label="Issuer URL"
            required
            defaultValue={config?.issuer}
            placeholder="https://your-org.okta.com"
            hint="Its /.well-known/openid-configuration is read when you save."
          />
          <Field idPrefix="sso" name="clientId" label="Client ID" required defaultValue={config?.clientId} />
          <SecretField
            idPrefix="sso"
            name="clientSecret"
            label="Client secret"
            stored={config?.hasClientSecret ?? false}
            hint="Encrypted at rest. Leave empty for a public client (PKCE only)."
          />
          <Field
            idPrefix="sso"
            name="domains"
            label="Email domains"
            required
            defaultValue={config?.domains.join(', ')}
            placeholder="example.com, example.org"
            hint="People with these addresses find this organisation from “Sign in with SSO”."
          />
          <Field
            idPrefix="sso"
            name="groupsClaim"
            label="Groups claim"
            defaultValue={config?.groupsClaim ?? 'groups'}
            hint="The ID token claim that lists the user's groups."
          />
          <div style={WIDE}>
            <TextArea
              idPrefix="sso"
              name="roleMappings"
              label="Group to role mapping"
              defaultValue={config?.roleMappings.map((m) => `${m.group} = ${m.role}`).join('\n')}
              placeholder={'security-admins = admin\ndetection-engineers = author\n* = viewer'}
              hint={`One "group = role" per line (${ROLES.join(', ')}); the most privileged match wins, "*" matches everyone. No match: no access, and a removed group costs the role at the next sign-in.`}
            />
          </div>
          <div style={WIDE}>
            <Check
              idPrefix="sso"
              name="ssoRequired"
              label="Require SSO for these domains (their passwords are refused)"
              defaultChecked={config?.ssoRequired ?? false}
            />
          </div>
          <div style={{ ...WIDE, display: 'grid', gap: 12 }}>
            {formError ? (
              <div className="alert-banner" role="alert">
                {formError}
              </div>
            ) : null}
            <ErrorBanner error={save.error ?? remove.error} />
            {saved && !save.error ? (
              <output className="field-hint" data-testid="sso-saved">
                Saved: discovery at the issuer succeeded.
              </output>
            ) : null}
            <div style={{ display: 'flex', gap: 8 }}>
              <button type="submit" className="button button-primary" disabled={save.isPending}>
                {save.isPending ? 'Checking the issuer…' : 'Save'}
              </button>
              {config ? (
                <ConfirmButton
                  label="Turn off SSO"
                  confirmLabel="Turn off"
                  disabled={remove.isPending}
                  onConfirm={() => remove.mutate()}
                />
              ) : null}
            </div>
          </div>
        </form>
      </div>
    </AdminPanel>
  );
}
