import 'server-only';
import { getSsoConfig as getSsoConfigRow } from '@peregrine/db';
import { db } from '../../db';
import { type SsoConfigView, ssoRedirectUri, toSsoConfigView } from './sso-settings';

/** The organisation's SSO settings (null when it has none) and the redirect URI to register. */
export async function getSsoConfig(
  organizationId: string,
): Promise<{ redirectUri: string; config: SsoConfigView | null }> {
  const config = await getSsoConfigRow(db(), organizationId);
  return { redirectUri: ssoRedirectUri(), config: config ? toSsoConfigView(config) : null };
}
