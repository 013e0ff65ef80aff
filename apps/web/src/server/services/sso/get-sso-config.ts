import 'server-only';
import { getSsoConfig as getSsoConfigRow, type SsoConfigDto } from '@peregrine/db';
import { db } from '../../db';
import { ssoRedirectUri } from './sso-settings';

/** The organisation's SSO settings (null when it has none) and the redirect URI to register. */
export async function getSsoConfig(
  organizationId: string,
): Promise<{ redirectUri: string; config: Omit<SsoConfigDto, 'organizationId'> | null }> {
  const config = await getSsoConfigRow(db(), organizationId);
  return { redirectUri: ssoRedirectUri(), config };
}
