import 'server-only';
import { type Actor, getSsoSignInConfig, saveSsoConfig as saveSsoConfigRow } from '@peregrine/db';
import { db } from '../../db';
import { withDbErrors } from '../../errors/error-mapping';
import type { Role } from '../../roles';
import { requireSourceSecretKey, sourceSecretKey } from '../sources/source-settings';
import { discoverIssuer } from './oidc';
import { type SsoConfigView, toSsoConfigView } from './sso-settings';

/** What an admin saves (the procedure's input). */
export interface SsoSettings {
  issuer: string;
  clientId: string;
  clientSecret?: string | null | undefined;
  groupsClaim: string;
  roleMappings: { group: string; role: Role }[];
  domains: string[];
  ssoRequired: boolean;
}

/**
 * Saves the organisation's SSO settings once the issuer's discovery succeeds (a typo in the
 * issuer fails here, with the reason, rather than at the first sign-in). The client secret is
 * encrypted under PEREGRINE_SECRET_KEY; an omitted secret keeps the stored one.
 */
export async function saveSsoConfig(input: {
  organizationId: string;
  settings: SsoSettings;
  actor: Actor;
}): Promise<SsoConfigView> {
  const { settings } = input;
  const secretKey = typeof settings.clientSecret === 'string' ? requireSourceSecretKey() : sourceSecretKey();
  const stored =
    settings.clientSecret === undefined
      ? await withDbErrors(() => getSsoSignInConfig(db(), input.organizationId, secretKey))
      : null;
  const clientSecret =
    settings.clientSecret === undefined ? (stored?.clientSecret ?? null) : settings.clientSecret;
  await discoverIssuer({ issuer: settings.issuer, clientId: settings.clientId, clientSecret });
  const saved = await withDbErrors(() =>
    saveSsoConfigRow(
      db(),
      {
        organizationId: input.organizationId,
        issuer: settings.issuer,
        clientId: settings.clientId,
        clientSecret: settings.clientSecret,
        groupsClaim: settings.groupsClaim,
        roleMappings: settings.roleMappings,
        domains: settings.domains,
        ssoRequired: settings.ssoRequired,
        secretKey,
      },
      input.actor,
    ),
  );
  return toSsoConfigView(saved);
}
