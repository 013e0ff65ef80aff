import { z } from 'zod';
import { ssoConfigSchema } from './sso-config.schema';

export const getSsoConfigOutput = z.object({
  /** Where the identity provider sends users back: register it as the client's redirect URI. */
  redirectUri: z.string(),
  config: ssoConfigSchema.nullable(),
});
